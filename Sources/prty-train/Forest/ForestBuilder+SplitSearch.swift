import Foundation
import Shared

/// The split search of one node: which features to try, each feature's values gathered as rank-keyed sort
/// keys, scored in one sweep by a histogram or after a radix sort, and the node's rows partitioned by the
/// winner. Allocation-free: everything lives in the builder's buffers.
extension ForestBuilder {
    struct Split {
        var feature: Int
        var lastLeftRank: UInt32
        var firstRightRank: UInt32
        var score: Double
    }

    /// scikit-learn's threshold: the midpoint of the two values the split falls between, or the lower value when
    /// the midpoint rounds up to the upper one (or overflows).
    func threshold(_ split: Split) -> Double {
        let base = data.values + data.valueOffsets[split.feature]
        let lower = base[Int(split.lastLeftRank)]
        let upper = base[Int(split.firstRightRank)]
        let middle = lower / 2 + upper / 2
        return middle == upper || !middle.isFinite ? lower : middle
    }

    /// The best split among the features drawn for this node, or `nil` when no feature has a valid one.
    func bestSplit(start: Int, end: Int, total: Int, random: inout SeededRandom) -> Split? {
        var best: Split?
        var remaining = featureCount
        var visited = 0
        var sawVaryingFeature = false
        while remaining > 0, visited < config.maxFeatures || !sawVaryingFeature {
            // The draws still owed to max_features are gathered in one pass over the node's rows; past max_features
            // (every feature so far constant) one at a time. The draws and their order are those of a one-by-one
            // loop, so batching changes nothing but speed.
            let owed = visited < config.maxFeatures ? config.maxFeatures - visited : 1
            let count = min(owed, remaining, batchLimit)
            for j in 0..<count {
                let pick = random.nextInt(below: remaining)
                let feature = featurePool[pick]
                featurePool[pick] = featurePool[remaining - 1]
                featurePool[remaining - 1] = feature
                remaining -= 1
                batchFeatures[j] = feature
            }
            visited += count
            gather(count: count, start: start, end: end)
            for j in 0..<count {
                if evaluate(batch: j, start: start, end: end, total: total, best: &best) { sawVaryingFeature = true }
            }
        }
        return best
    }

    /// Fills one key buffer per feature of the batch, and each feature's lowest and highest rank in the node.
    /// Each row becomes one 64-bit key: its rank in the high half; in the low half its class and weight
    /// (`packed`), or its position in the node when a weight is too large to pack.
    func gather(count: Int, start: Int, end: Int) {
        let size = end &- start
        let stride = featureCount
        let nodeRows = rows + start
        for j in 0..<count {
            batchLow[j] = UInt32.max
            batchHigh[j] = 0
        }
        let nodeLabels = labels + start
        let nodeWeights = weights + start
        let shift = UInt32(weightBits)
        for i in 0..<size {
            let codes = data.codes + Int(nodeRows[i]) &* stride
            let tail =
                packed
                ? UInt64(
                    UInt32(truncatingIfNeeded: nodeLabels[i]) << shift | UInt32(truncatingIfNeeded: nodeWeights[i]))
                : UInt64(i)
            for j in 0..<count {
                let rank = codes[batchFeatures[j]]
                (keys + j &* capacity)[i] = UInt64(rank) << 32 | tail
                batchLow[j] = min(batchLow[j], rank)
                batchHigh[j] = max(batchHigh[j], rank)
            }
        }
    }

    /// Scores every valid threshold of the batch's feature `j` in the node and updates `best`. Returns false
    /// when the feature is constant in the node.
    func evaluate(batch j: Int, start: Int, end: Int, total: Int, best: inout Split?) -> Bool {
        let size = end &- start
        let low = batchLow[j]
        let high = batchHigh[j]
        guard low < high else { return false }
        let span = Int(high &- low) &+ 1
        let batchKeys = keys + j &* capacity
        let sweep: Sweep
        if span <= 2 &* size &+ 64, span <= histogramRanks {
            sweep = countAndSweep(batchKeys, start: start, size: size, total: total, low: low, span: span)
        } else {
            let sorted = sortKeys(batchKeys, count: size, low: low, span: span)
            sweep = sortedSweep(sorted, start: start, size: size, total: total)
        }
        guard sweep.found else { return true }
        let score = sweep.numerator / sweep.denominator
        if best == nil || score > best!.score {
            best = Split(
                feature: batchFeatures[j], lastLeftRank: sweep.lastLeftRank,
                firstRightRank: sweep.firstRightRank, score: score)
        }
        return true
    }

    /// The best candidate of one feature. Its score is `numerator / denominator`: candidates are compared by
    /// cross-multiplication, which spares the Gini sweep two divisions per candidate.
    struct Sweep {
        var found = false
        var numerator = -Double.infinity
        var denominator = 1.0
        var lastLeftRank: UInt32 = 0
        var firstRightRank: UInt32 = 0

        @inline(__always)
        mutating func offer(_ candidate: (numerator: Double, denominator: Double), _ last: UInt32, _ first: UInt32) {
            if candidate.numerator * denominator > numerator * candidate.denominator {
                found = true
                numerator = candidate.numerator
                denominator = candidate.denominator
                lastLeftRank = last
                firstRightRank = first
            }
        }
    }

    /// The running state of a left-to-right sweep: class weights on each side and the criterion's sums.
    struct Sides {
        var leftWeight = 0
        var rightWeight: Int
        var leftSquares = 0  // Gini: Σ left_c²
        var rightSquares = 0
        var leftLogs = 0.0  // entropy: Σ left_c·log₂ left_c
        var rightLogs = 0.0
    }

    func startSides(total: Int) -> Sides {
        var sides = Sides(rightWeight: total)
        for c in 0..<classCount {
            leftCounts[c] = 0
            rightCounts[c] = nodeCounts[c]
            sides.rightSquares += nodeCounts[c] * nodeCounts[c]
            sides.rightLogs += data.xLogX[nodeCounts[c]]
        }
        return sides
    }

    /// Moves `weight` of class `c` from the right side to the left. Wrapping arithmetic: every value is bounded
    /// by (rows drawn)², far below 2⁶³.
    @inline(__always)
    func move(_ c: Int, _ weight: Int, _ sides: inout Sides, entropy: Bool) {
        let left = leftCounts[c]
        let right = rightCounts[c]
        if entropy {
            let table = data.xLogX
            sides.leftLogs += table[left &+ weight] - table[left]
            sides.rightLogs += table[right &- weight] - table[right]
        } else {
            sides.leftSquares &+= (2 &* left &+ weight) &* weight
            sides.rightSquares &+= (weight &- 2 &* right) &* weight
        }
        leftCounts[c] = left &+ weight
        rightCounts[c] = right &- weight
        sides.leftWeight &+= weight
        sides.rightWeight &-= weight
    }

    /// scikit-learn's proxy impurity improvement as a fraction: larger is better, only differences between
    /// candidates of one node matter. Gini: Σl²/wₗ + Σr²/wᵣ = (Σl²·wᵣ + Σr²·wₗ) / (wₗ·wᵣ).
    /// Entropy: −wₗHₗ − wᵣHᵣ = Σl log l − wₗ log wₗ + (the same on the right).
    @inline(__always)
    func score(_ sides: Sides, entropy: Bool) -> (numerator: Double, denominator: Double) {
        if entropy {
            let table = data.xLogX
            return (sides.leftLogs - table[sides.leftWeight] + sides.rightLogs - table[sides.rightWeight], 1)
        }
        let left = Double(sides.leftWeight)
        let right = Double(sides.rightWeight)
        return (Double(sides.leftSquares) * right + Double(sides.rightSquares) * left, left * right)
    }

    /// The class and weight a key carries (or points to).
    @inline(__always)
    func classAndWeight(_ key: UInt64, start: Int) -> (Int, Int) {
        let tail = UInt32(truncatingIfNeeded: key)
        if packed { return (Int(tail >> UInt32(weightBits)), Int(tail & weightMask)) }
        let position = start &+ Int(tail)
        return (Int(labels[position]), Int(weights[position]))
    }

    /// Histogram of the node by rank (the keys hold rank and node position), then one sweep over the ranks.
    func countAndSweep(
        _ keys: UnsafeMutablePointer<UInt64>, start: Int, size: Int, total: Int, low: UInt32,
        span: Int
    ) -> Sweep {
        let k = classCount
        for i in 0..<size {
            let key = keys[i]
            let bin = Int(UInt32(truncatingIfNeeded: key >> 32) &- low)
            let (c, weight) = classAndWeight(key, start: start)
            histogramRows[bin] &+= 1
            histogram[bin &* k &+ c] &+= Int32(truncatingIfNeeded: weight)
        }
        let entropy = config.criterion == .entropy
        let minLeaf = config.minSamplesLeaf
        var sides = startSides(total: total)
        var sweep = Sweep()
        var leftRows = 0
        var previous = -1
        for bin in 0..<span {
            let count = Int(histogramRows[bin])
            if count == 0 { continue }
            histogramRows[bin] = 0
            if previous >= 0, leftRows >= minLeaf, size &- leftRows >= minLeaf {
                sweep.offer(score(sides, entropy: entropy), low &+ UInt32(previous), low &+ UInt32(bin))
            }
            let row = histogram + bin &* k
            for c in 0..<k {
                let weight = Int(row[c])
                if weight != 0 {
                    move(c, weight, &sides, entropy: entropy)
                    row[c] = 0
                }
            }
            leftRows &+= count
            previous = bin
        }
        return sweep
    }

    /// Sorts the node's keys by rank: insertion sort for small nodes, else a least-significant-digit radix sort
    /// on the rank minus `low` (at most 11 bits a pass). Returns the buffer holding the sorted keys.
    func sortKeys(_ keys: UnsafeMutablePointer<UInt64>, count: Int, low: UInt32, span: Int)
        -> UnsafeMutablePointer<UInt64>
    {
        if count <= 48 {
            for i in 1..<max(count, 1) {
                let key = keys[i]
                var j = i &- 1
                while j >= 0, keys[j] > key {
                    keys[j &+ 1] = keys[j]
                    j &-= 1
                }
                keys[j &+ 1] = key
            }
            return keys
        }
        let bits = Int.bitWidth - (span - 1).leadingZeroBitCount
        let passes = (bits + 10) / 11
        let digitBits = (bits + passes - 1) / passes
        let mask = UInt64((1 << digitBits) - 1)
        let base = UInt64(low) << 32
        var source = keys
        var target = keysTmp
        for pass in 0..<passes {
            let shift = UInt64(32 + pass * digitBits)
            buckets.initialize(repeating: 0, count: Int(mask) + 1)
            for i in 0..<count { buckets[Int(((source[i] &- base) >> shift) & mask)] &+= 1 }
            var sum = 0
            for digit in 0...Int(mask) {
                let size = buckets[digit]
                buckets[digit] = sum
                sum &+= size
            }
            for i in 0..<count {
                let key = source[i]
                let digit = Int(((key &- base) >> shift) & mask)
                target[buckets[digit]] = key
                buckets[digit] &+= 1
            }
            swap(&source, &target)
        }
        return source
    }

    /// One sweep over keys sorted by rank, scoring the split before every change of rank.
    func sortedSweep(_ sorted: UnsafeMutablePointer<UInt64>, start: Int, size: Int, total: Int) -> Sweep {
        let entropy = config.criterion == .entropy
        let minLeaf = config.minSamplesLeaf
        var sides = startSides(total: total)
        var sweep = Sweep()
        var previous = UInt32(truncatingIfNeeded: sorted[0] >> 32)
        let last = size &- minLeaf  // the last position that may start the right side
        for p in 0..<size {
            let key = sorted[p]
            let rank = UInt32(truncatingIfNeeded: key >> 32)
            if rank != previous {
                if p > last { break }
                if p >= minLeaf { sweep.offer(score(sides, entropy: entropy), previous, rank) }
                previous = rank
            }
            let (c, weight) = classAndWeight(key, start: start)
            move(c, weight, &sides, entropy: entropy)
        }
        return sweep
    }

    /// Puts the node's rows with rank ≤ `lastLeftRank` first, stably: every node keeps its rows in ascending
    /// order, so gathering a feature's ranks walks the column forwards (which the cache prefetches) instead of
    /// jumping around it. Returns where the right child's rows start.
    func partition(start: Int, end: Int, feature: Int, lastLeftRank: UInt32) -> Int {
        let column = data.codes + feature
        let stride = featureCount
        var left = start
        var right = 0
        for i in start..<end {
            let row = rows[i]
            if column[Int(row) &* stride] <= lastLeftRank {
                rows[left] = row
                labels[left] = labels[i]
                weights[left] = weights[i]
                left &+= 1
            } else {
                spareRows[right] = row
                spareLabels[right] = labels[i]
                spareWeights[right] = weights[i]
                right &+= 1
            }
        }
        (rows + left).update(from: spareRows, count: right)
        (labels + left).update(from: spareLabels, count: right)
        (weights + left).update(from: spareWeights, count: right)
        return left
    }

    /// Gini (1 − Σp²) or entropy (−Σp log₂ p) of class weights summing to `total`.
    static func impurity(
        _ counts: UnsafeMutablePointer<Int>, classCount: Int, total: Int,
        criterion: ForestConfig.Criterion
    ) -> Double {
        guard total > 0 else { return 0 }
        let scale = 1 / Double(total)
        var sum = 0.0
        switch criterion {
        case .gini:
            for c in 0..<classCount {
                let p = Double(counts[c]) * scale
                sum += p * p
            }
            return 1 - sum
        case .entropy:
            for c in 0..<classCount where counts[c] > 0 {
                let p = Double(counts[c]) * scale
                sum -= p * log2(p)
            }
            return sum
        }
    }
}
