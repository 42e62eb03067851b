import Foundation
import Shared

/// The training rows as the tree builder reads them fastest: every feature value replaced by its rank among the
/// feature's distinct values (sorted once per feature, for the whole forest), labels as class indices, and
/// `x·log₂x` for the entropy criterion. A split between ranks r and r+1 is the split scikit-learn makes between
/// the two adjacent values, with the threshold at their midpoint, so ranks lose nothing.
///
/// Every buffer is written only in `init` (each feature's column by exactly one worker) and is read-only
/// afterwards, so the tree builders of `Parallel.workers` may share it.
final class ForestData {
    let rowCount: Int
    let featureCount: Int
    let classCount: Int
    /// Row-major ranks: `codes[row * featureCount + f]` is the rank of row's value among feature f's distinct
    /// values. Row-major because a node gathers several features of the same rows, one after the other.
    let codes: UnsafeMutablePointer<UInt32>
    /// `classIndex[row]`: the position of the row's label in `classes`.
    let classIndex: UnsafeMutablePointer<Int32>
    /// Feature f's distinct values, ascending: `values[valueOffsets[f] ..< valueOffsets[f + 1]]`.
    let values: UnsafeMutablePointer<Double>
    let valueOffsets: [Int]
    /// `xLogX[k] = k·log₂k` for the integer weights the entropy criterion meets (0 ≤ k ≤ rowCount).
    let xLogX: UnsafeMutablePointer<Double>

    /// Distinct values of feature f.
    func distinctCount(_ feature: Int) -> Int { valueOffsets[feature + 1] - valueOffsets[feature] }

    /// Ranks every feature (in parallel, one feature per step) and maps labels to class indices.
    /// Throws `TrainError.data` for a label that is not one of `classes` or a non-finite feature value.
    init(_ data: Dataset, classes: [Double], threads: Int) throws {
        rowCount = data.count
        featureCount = data.width
        classCount = classes.count
        let n = rowCount
        let f = featureCount

        classIndex = .allocate(capacity: max(n, 1))
        codes = .allocate(capacity: max(n * f, 1))
        xLogX = .allocate(capacity: n + 1)
        xLogX[0] = 0
        for k in stride(from: 1, through: n, by: 1) { xLogX[k] = Double(k) * log2(Double(k)) }

        var badLabel: Double?
        for row in 0..<n {
            let label = data.labels[row]
            guard let index = Self.position(of: label, in: classes) else {
                badLabel = label
                break
            }
            classIndex[row] = Int32(index)
        }
        if let badLabel {
            codes.deallocate()
            classIndex.deallocate()
            xLogX.deallocate()
            let shown = classes.prefix(10).map(NumberFormat.shortest).joined(separator: ", ")
            throw TrainError.data(
                "label \(NumberFormat.shortest(badLabel)) is not one of the dataset's classes [\(shown)"
                    + "\(classes.count > 10 ? ", …" : "")]; check the Dataset's classes field")
        }

        // One feature per step: gather (order-preserving key, row), radix-sort, assign ranks.
        let distinct = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: max(f, 1))
        distinct.initialize(repeating: [])
        let nonFinite = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(f, 1))
        nonFinite.initialize(repeating: false)
        let shared = ForestRanking(codes: codes, distinct: distinct, nonFinite: nonFinite)
        data.features.withUnsafeBufferPointer { rows in
            let perWorker = (f + threads - 1) / max(threads, 1)
            Parallel.workers(min(max(threads, 1), max(f, 1))) { worker in
                let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: max(n, 1))
                let order = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
                let keysTmp = UnsafeMutablePointer<UInt64>.allocate(capacity: max(n, 1))
                let orderTmp = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
                defer {
                    keys.deallocate()
                    order.deallocate()
                    keysTmp.deallocate()
                    orderTmp.deallocate()
                }
                let first = worker * perWorker
                for feature in first..<min(first + perWorker, f) {
                    shared.rank(
                        feature: feature, features: rows, rowCount: n, width: f,
                        keys: keys, order: order, keysTmp: keysTmp, orderTmp: orderTmp)
                }
            }
        }
        let badFeature = nonFinite.firstIndex(of: true)
        var offsets = [0]
        offsets.reserveCapacity(f + 1)
        for feature in 0..<f { offsets.append(offsets[feature] + distinct[feature].count) }
        valueOffsets = offsets
        values = .allocate(capacity: max(offsets[f], 1))
        for feature in 0..<f {
            distinct[feature].withUnsafeBufferPointer { source in
                if let base = source.baseAddress { (values + offsets[feature]).update(from: base, count: source.count) }
            }
        }
        distinct.deinitialize()
        distinct.deallocate()
        nonFinite.deallocate()
        if let badFeature {
            throw TrainError.data(
                "feature \(badFeature) holds a NaN or infinite value; clean the data or use "
                    + "prty-fetch --missing")
        }
    }

    deinit {
        codes.deallocate()
        classIndex.deallocate()
        values.deallocate()
        xLogX.deallocate()
    }

    /// Index of `label` in the sorted `classes`, by binary search on exact equality.
    static func position(of label: Double, in classes: [Double]) -> Int? {
        var low = 0
        var high = classes.count
        while low < high {
            let middle = (low + high) / 2
            if classes[middle] < label { low = middle + 1 } else { high = middle }
        }
        return low < classes.count && classes[low] == label ? low : nil
    }
}

/// Where the ranking workers write, one feature per step. It stays a set of raw buffers rather than
/// `ParallelSlots` because one step writes a strided column of the shared row-major `codes` (feature f's entry of
/// every row), not one slot; the steps touch disjoint parts (feature f's column, `distinct[f]`, `nonFinite[f]`)
/// and the owner reads them only after `Parallel.workers` returns.
private struct ForestRanking {
    let codes: UnsafeMutablePointer<UInt32>
    let distinct: UnsafeMutableBufferPointer<[Double]>
    let nonFinite: UnsafeMutableBufferPointer<Bool>

    func rank(
        feature: Int, features: UnsafeBufferPointer<Double>, rowCount n: Int, width: Int,
        keys: UnsafeMutablePointer<UInt64>, order: UnsafeMutablePointer<Int32>,
        keysTmp: UnsafeMutablePointer<UInt64>, orderTmp: UnsafeMutablePointer<Int32>
    ) {
        guard n > 0 else { return }
        for row in 0..<n {
            let value = features[row * width + feature]
            if !value.isFinite { nonFinite[feature] = true }
            keys[row] = Self.orderedBits(value)
            order[row] = Int32(row)
        }
        let sorted = ForestRadixSort.pairs(keys: keys, payload: order, keysTmp: keysTmp, payloadTmp: orderTmp, count: n)
        let sortedKeys = sorted.keys
        let sortedRows = sorted.payload
        let column = codes + feature
        var values = [Double]()
        var rank: UInt32 = 0
        var previous = sortedKeys[0]
        values.append(features[Int(sortedRows[0]) * width + feature] + 0)
        for index in 0..<n {
            let key = sortedKeys[index]
            if key != previous {
                rank += 1
                previous = key
                values.append(features[Int(sortedRows[index]) * width + feature] + 0)  // + 0 turns -0.0 into 0.0
            }
            column[Int(sortedRows[index]) &* width] = rank
        }
        distinct[feature] = values
    }

    /// A UInt64 whose unsigned order is the order of the Doubles (−0.0 and 0.0 are the same value).
    @inline(__always) static func orderedBits(_ value: Double) -> UInt64 {
        let bits = (value == 0 ? 0.0 : value).bitPattern
        return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
    }
}
