import Foundation
import Shared

/// Grows one tree at a time with scikit-learn's algorithm (`DepthFirstTreeBuilder` + `BestSplitter`): a bootstrap
/// sample, then depth first from the root, at each node up to `max_features` features drawn without replacement
/// (drawing on while every feature drawn so far is constant in the node), the split with the best impurity
/// decrease (first found wins a tie), the threshold at the midpoint of the two values it falls between, and
/// scikit-learn's stopping rules. One builder per worker thread: its buffers are allocated once and reused, so
/// the inner loops allocate nothing.
///
/// Speed comes from the ranks in `ForestData`: a node's values of one feature are either counted into a
/// histogram indexed by rank (when the node's rank range is small next to its size: the top of every tree, and
/// any feature with few distinct values) or radix-sorted by rank. Either way one sweep with incremental class
/// counts scores every candidate threshold, and bootstrap multiplicities are integer weights, so the Gini
/// score is exact integer arithmetic.
final class ForestBuilder {
    /// What one call of `grow` returns: the tree, which rows it trained on (for the out-of-bag score) and its
    /// unnormalised mean-decrease-in-impurity per feature.
    struct Grown: Sendable {
        var tree: ForestTree
        var inBag: [UInt64]
        var importance: [Double]
    }

    let data: ForestData
    let config: ForestConfig
    let n: Int
    let classCount: Int
    let featureCount: Int
    let histogramRanks: Int
    /// Bits of a packed key's low half that hold the weight (the class takes the rest).
    let weightBits: Int
    let weightMask: UInt32
    /// Whether this tree's keys carry class and weight (true unless some weight needs more than `weightBits`).
    var packed = true

    // Node-aligned sample arrays: a node owns the range start..<end of all three.
    let rows: UnsafeMutablePointer<Int32>
    let labels: UnsafeMutablePointer<Int32>
    let weights: UnsafeMutablePointer<Int32>
    let draws: UnsafeMutablePointer<Int32>
    let spareRows: UnsafeMutablePointer<Int32>  // a right child's rows while `partition` runs
    let spareLabels: UnsafeMutablePointer<Int32>
    let spareWeights: UnsafeMutablePointer<Int32>
    /// `batchLimit` key buffers of `capacity` keys each, one per feature of a batch.
    let keys: UnsafeMutablePointer<UInt64>
    let capacity: Int
    /// How many features one pass over a node's rows gathers (at most 8, and at most 64 MiB of keys).
    let batchLimit: Int
    let batchFeatures: UnsafeMutablePointer<Int>
    let batchLow: UnsafeMutablePointer<UInt32>
    let batchHigh: UnsafeMutablePointer<UInt32>
    let keysTmp: UnsafeMutablePointer<UInt64>
    let histogram: UnsafeMutablePointer<Int32>  // histogramRanks × classCount weights
    let histogramRows: UnsafeMutablePointer<Int32>  // histogramRanks unique-row counts
    let buckets: UnsafeMutablePointer<Int>  // 2048 radix buckets
    let nodeCounts: UnsafeMutablePointer<Int>
    let leftCounts: UnsafeMutablePointer<Int>
    let rightCounts: UnsafeMutablePointer<Int>
    let featurePool: UnsafeMutablePointer<Int>

    /// Largest histogram (ranks × classes) a builder keeps; features with more ranks in a node are sorted.
    static let histogramCapacity = 1 << 22

    init(data: ForestData, config: ForestConfig) {
        self.data = data
        self.config = config
        n = data.rowCount
        classCount = data.classCount
        featureCount = data.featureCount
        var widest = 1
        for feature in 0..<featureCount { widest = max(widest, data.distinctCount(feature)) }
        histogramRanks = max(1, min(widest, Self.histogramCapacity / max(classCount, 1)))
        let labelBits = max(1, Int.bitWidth - (classCount - 1).leadingZeroBitCount)
        weightBits = max(0, 32 - labelBits)
        weightMask = weightBits == 0 ? 0 : UInt32.max >> UInt32(32 - weightBits)
        capacity = max(n, 1)
        batchLimit = max(1, min(8, config.maxFeatures, (1 << 23) / capacity))
        batchFeatures = .allocate(capacity: batchLimit)
        batchLow = .allocate(capacity: batchLimit)
        batchHigh = .allocate(capacity: batchLimit)
        rows = .allocate(capacity: capacity)
        labels = .allocate(capacity: capacity)
        weights = .allocate(capacity: capacity)
        draws = .allocate(capacity: capacity)
        spareRows = .allocate(capacity: capacity)
        spareLabels = .allocate(capacity: capacity)
        spareWeights = .allocate(capacity: capacity)
        keys = .allocate(capacity: capacity * batchLimit)
        keysTmp = .allocate(capacity: capacity)
        histogram = .allocate(capacity: histogramRanks * classCount)
        histogram.initialize(repeating: 0, count: histogramRanks * classCount)
        histogramRows = .allocate(capacity: histogramRanks)
        histogramRows.initialize(repeating: 0, count: histogramRanks)
        buckets = .allocate(capacity: 2048)
        nodeCounts = .allocate(capacity: classCount)
        leftCounts = .allocate(capacity: classCount)
        rightCounts = .allocate(capacity: classCount)
        featurePool = .allocate(capacity: max(featureCount, 1))
    }

    deinit {
        rows.deallocate()
        labels.deallocate()
        weights.deallocate()
        draws.deallocate()
        spareRows.deallocate()
        spareLabels.deallocate()
        spareWeights.deallocate()
        keys.deallocate()
        batchFeatures.deallocate()
        batchLow.deallocate()
        batchHigh.deallocate()
        keysTmp.deallocate()
        histogram.deallocate()
        histogramRows.deallocate()
        buckets.deallocate()
        nodeCounts.deallocate()
        leftCounts.deallocate()
        rightCounts.deallocate()
        featurePool.deallocate()
    }

    // MARK: One tree

    /// Grows the tree numbered `index` from its own seed. `nil` when a signal arrived meanwhile.
    func grow(index: Int, random: SeededRandom) -> Grown? {
        var random = random
        let sampleCount = sample(&random)
        for feature in 0..<featureCount { featurePool[feature] = feature }

        var nodes = [ForestTree.Node]()
        var values = [Double]()
        var importance = [Double](repeating: 0, count: featureCount)
        var stack = [StackEntry(start: 0, end: sampleCount, depth: 0, parent: -1, isLeft: false)]
        var popped = 0
        while let entry = stack.popLast() {
            popped += 1
            if popped & 1023 == 0, Interruption.isRequested { return nil }
            let start = entry.start
            let end = entry.end
            let size = end - start

            var total = 0
            for c in 0..<classCount { nodeCounts[c] = 0 }
            for i in start..<end {
                nodeCounts[Int(labels[i])] += Int(weights[i])
                total += Int(weights[i])
            }
            var present = 0
            for c in 0..<classCount where nodeCounts[c] > 0 { present += 1 }
            let impurity = Self.impurity(nodeCounts, classCount: classCount, total: total, criterion: config.criterion)

            let id = Int32(nodes.count)
            if entry.parent >= 0 {
                if entry.isLeft { nodes[entry.parent].left = id } else { nodes[entry.parent].right = id }
            }
            let leaf =
                entry.depth >= config.depthLimit || size < config.minSamplesSplit
                || size < 2 * config.minSamplesLeaf || present <= 1
            let split = leaf ? nil : bestSplit(start: start, end: end, total: total, random: &random)
            guard let split else {
                let leafIndex = Int32(values.count / classCount)
                let scale = 1 / Double(total)
                for c in 0..<classCount { values.append(Double(nodeCounts[c]) * scale) }
                nodes.append(ForestTree.Node(threshold: 0, feature: -1, left: leafIndex, right: -1))
                continue
            }

            let middle = partition(start: start, end: end, feature: split.feature, lastLeftRank: split.lastLeftRank)
            var leftTotal = 0
            for c in 0..<classCount { leftCounts[c] = 0 }
            for i in start..<middle {
                leftCounts[Int(labels[i])] += Int(weights[i])
                leftTotal += Int(weights[i])
            }
            for c in 0..<classCount { rightCounts[c] = nodeCounts[c] - leftCounts[c] }
            let rightTotal = total - leftTotal
            let leftImpurity = Self.impurity(
                leftCounts, classCount: classCount, total: leftTotal,
                criterion: config.criterion)
            let rightImpurity = Self.impurity(
                rightCounts, classCount: classCount, total: rightTotal,
                criterion: config.criterion)
            importance[split.feature] +=
                Double(total) * impurity - Double(leftTotal) * leftImpurity
                - Double(rightTotal) * rightImpurity

            nodes.append(
                ForestTree.Node(threshold: threshold(split), feature: Int32(split.feature), left: -1, right: -1))
            stack.append(StackEntry(start: middle, end: end, depth: entry.depth + 1, parent: Int(id), isLeft: false))
            stack.append(StackEntry(start: start, end: middle, depth: entry.depth + 1, parent: Int(id), isLeft: true))
        }
        for feature in 0..<featureCount { importance[feature] = max(0, importance[feature]) }
        return Grown(tree: ForestTree(nodes: nodes, values: values), inBag: inBagBits(), importance: importance)
    }

    struct StackEntry {
        var start: Int
        var end: Int
        var depth: Int
        var parent: Int
        var isLeft: Bool
    }

    /// Draws the tree's rows into `draws` (multiplicities) and lays out the distinct drawn rows, ascending, with
    /// their labels and multiplicities as weights. Returns the number of distinct rows.
    func sample(_ random: inout SeededRandom) -> Int {
        draws.initialize(repeating: 0, count: n)
        let count = config.drawCount(rows: n)
        if config.bootstrap {
            for _ in 0..<count { draws[random.nextInt(below: n)] += 1 }
        } else if count >= n {
            draws.initialize(repeating: 1, count: n)
        } else {
            // The first `count` positions of a Fisher–Yates shuffle, drawn lazily through `rows` as scratch.
            for row in 0..<n { rows[row] = Int32(row) }
            for i in 0..<count {
                let j = i + random.nextInt(below: n - i)
                let picked = rows[j]
                rows[j] = rows[i]
                rows[i] = picked
                draws[Int(picked)] = 1
            }
        }
        var distinct = 0
        var heaviest: Int32 = 0
        for row in 0..<n where draws[row] > 0 {
            heaviest = max(heaviest, draws[row])
            rows[distinct] = Int32(row)
            labels[distinct] = data.classIndex[row]
            weights[distinct] = draws[row]
            distinct += 1
        }
        packed = UInt32(heaviest) <= weightMask
        return distinct
    }

    func inBagBits() -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: (n + 63) / 64)
        for row in 0..<n where draws[row] > 0 { bits[row >> 6] |= 1 << UInt64(row & 63) }
        return bits
    }
}
