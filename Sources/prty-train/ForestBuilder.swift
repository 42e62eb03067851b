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

    private let data: ForestData
    private let config: ForestConfig
    private let n: Int
    private let classCount: Int
    private let featureCount: Int
    private let histogramRanks: Int
    /// Bits of a packed key's low half that hold the weight (the class takes the rest).
    private let weightBits: Int
    private let weightMask: UInt32
    /// Whether this tree's keys carry class and weight (true unless some weight needs more than `weightBits`).
    private var packed = true

    // Node-aligned sample arrays: a node owns the range start..<end of all three.
    private let rows: UnsafeMutablePointer<Int32>
    private let labels: UnsafeMutablePointer<Int32>
    private let weights: UnsafeMutablePointer<Int32>
    private let draws: UnsafeMutablePointer<Int32>
    private let spareRows: UnsafeMutablePointer<Int32>  // a right child's rows while `partition` runs
    private let spareLabels: UnsafeMutablePointer<Int32>
    private let spareWeights: UnsafeMutablePointer<Int32>
    /// `batchLimit` key buffers of `capacity` keys each, one per feature of a batch.
    private let keys: UnsafeMutablePointer<UInt64>
    private let capacity: Int
    /// How many features one pass over a node's rows gathers (at most 8, and at most 64 MiB of keys).
    private let batchLimit: Int
    private let batchFeatures: UnsafeMutablePointer<Int>
    private let batchLow: UnsafeMutablePointer<UInt32>
    private let batchHigh: UnsafeMutablePointer<UInt32>
    private let keysTmp: UnsafeMutablePointer<UInt64>
    private let histogram: UnsafeMutablePointer<Int32>  // histogramRanks × classCount weights
    private let histogramRows: UnsafeMutablePointer<Int32>  // histogramRanks unique-row counts
    private let buckets: UnsafeMutablePointer<Int>  // 2048 radix buckets
    private let nodeCounts: UnsafeMutablePointer<Int>
    private let leftCounts: UnsafeMutablePointer<Int>
    private let rightCounts: UnsafeMutablePointer<Int>
    private let featurePool: UnsafeMutablePointer<Int>

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

    private struct StackEntry {
        var start: Int
        var end: Int
        var depth: Int
        var parent: Int
        var isLeft: Bool
    }

    /// Draws the tree's rows into `draws` (multiplicities) and lays out the distinct drawn rows, ascending, with
    /// their labels and multiplicities as weights. Returns the number of distinct rows.
    private func sample(_ random: inout SeededRandom) -> Int {
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

    private func inBagBits() -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: (n + 63) / 64)
        for row in 0..<n where draws[row] > 0 { bits[row >> 6] |= 1 << UInt64(row & 63) }
        return bits
    }

    // MARK: Split search

    private struct Split {
        var feature: Int
        var lastLeftRank: UInt32
        var firstRightRank: UInt32
        var score: Double
    }

    /// scikit-learn's threshold: the midpoint of the two values the split falls between, or the lower value when
    /// the midpoint rounds up to the upper one (or overflows).
    private func threshold(_ split: Split) -> Double {
        let base = data.values + data.valueOffsets[split.feature]
        let lower = base[Int(split.lastLeftRank)]
        let upper = base[Int(split.firstRightRank)]
        let middle = lower / 2 + upper / 2
        return middle == upper || !middle.isFinite ? lower : middle
    }

    /// The best split among the features drawn for this node, or `nil` when no feature has a valid one.
    private func bestSplit(start: Int, end: Int, total: Int, random: inout SeededRandom) -> Split? {
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
    private func gather(count: Int, start: Int, end: Int) {
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
    private func evaluate(batch j: Int, start: Int, end: Int, total: Int, best: inout Split?) -> Bool {
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
    private struct Sweep {
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
    private struct Sides {
        var leftWeight = 0
        var rightWeight: Int
        var leftSquares = 0  // Gini: Σ left_c²
        var rightSquares = 0
        var leftLogs = 0.0  // entropy: Σ left_c·log₂ left_c
        var rightLogs = 0.0
    }

    private func startSides(total: Int) -> Sides {
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
    private func move(_ c: Int, _ weight: Int, _ sides: inout Sides, entropy: Bool) {
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
    private func score(_ sides: Sides, entropy: Bool) -> (numerator: Double, denominator: Double) {
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
    private func classAndWeight(_ key: UInt64, start: Int) -> (Int, Int) {
        let tail = UInt32(truncatingIfNeeded: key)
        if packed { return (Int(tail >> UInt32(weightBits)), Int(tail & weightMask)) }
        let position = start &+ Int(tail)
        return (Int(labels[position]), Int(weights[position]))
    }

    /// Histogram of the node by rank (the keys hold rank and node position), then one sweep over the ranks.
    private func countAndSweep(
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
    private func sortKeys(_ keys: UnsafeMutablePointer<UInt64>, count: Int, low: UInt32, span: Int)
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
    private func sortedSweep(_ sorted: UnsafeMutablePointer<UInt64>, start: Int, size: Int, total: Int) -> Sweep {
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
    private func partition(start: Int, end: Int, feature: Int, lastLeftRank: UInt32) -> Int {
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
