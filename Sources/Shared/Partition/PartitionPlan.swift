/// The whole partition of one dataset, as every participant computes it: the held-out split, every part's rows and
/// class counts, and the order of rows inside each part. Pure: a function of the labels, the configuration and the
/// seed, so the same inputs give the same plan on every machine and in every round.
///
/// Random streams, each derived from the seed so that one step never shifts another: 1 the held-out split,
/// 2 the assignment, 3 the row order (part p shuffles with stream 3's own derived stream p).
///
/// Row order inside a part: sequential keeps input order (it draws nothing); every other strategy lists a part's
/// rows in a seeded random order (a forward Fisher–Yates of its rows in input order), so "the first rows of a part"
/// — what overlap copies — are a uniform sample of it even when the input is sorted by class. Overlap copies come
/// after a part's own rows. The held-out test set is in input order. A part is put in order only when its rows are
/// asked for, and a neighbour's only as far as overlap reaches into it.
public struct PartitionPlan: Sendable {
    public let config: PartitionConfig
    /// The held-out test rows, ascending.
    public let test: [Int]
    /// How many rows are left for training (every row not held out).
    public let trainCount: Int
    /// Every part's own rows, part after part, each part in input order: part p is
    /// `byPart[starts[p]..<starts[p + 1]]`. Empty when only the test set is taken.
    private let byPart: [Int]
    private let starts: [Int]
    /// How many copies from the next part each part receives (overlap).
    let overlapCounts: [Int]
    /// How many Dirichlet draws it took (non_iid only).
    public let draws: Int?
    /// The number of classes (0 for regression).
    public let classCount: Int
    /// Class counts of every part as written, copies included (classification; empty for regression), in
    /// `classes` order.
    let classCounts: [[Int]]
    /// Class counts of the training rows and of the test set (classification; empty for regression).
    public let trainClassCounts: [Int]
    public let testClassCounts: [Int]

    public init(_ dataset: Dataset, config: PartitionConfig) throws(PartitionError) {
        try self.init(labels: dataset.labels, task: dataset.task, classes: dataset.classes, config: config)
    }

    init(labels: [Double], task: Dataset.Task, classes: [Double], config: PartitionConfig) throws(PartitionError) {
        self.config = config
        let count = labels.count
        let classification = task == .classification
        let classOf = classification ? Self.classIndices(labels, classes: classes) : []
        classCount = classification ? classes.count : 0
        let classSizes = classification ? Self.histogram(0..<count, classOf: classOf, classes: classCount) : []

        let root = SeededRandom(seed: config.seed)
        var holdoutRandom = root.derived(1)
        let split = Holdout.split(
            rows: count, groupOf: classification ? classOf : nil,
            groupSizes: classification ? classSizes : [count], fraction: config.holdout,
            using: &holdoutRandom)
        test = split.test
        trainCount = count - split.test.count
        testClassCounts = classification ? split.testCounts : []
        trainClassCounts = zip(classSizes, testClassCounts).map { $0 - $1 }

        guard config.take == .train else {
            (byPart, starts, overlapCounts, draws, classCounts) = ([], [0], [], nil, [])
            return
        }
        let partCount = config.totalParts
        let byClass = config.strategy.needsClasses
        if byClass, !classification { throw .needsClasses(config.strategy) }
        if config.minSamples > trainCount / partCount {
            throw .minSamplesUnreachable(minSamples: config.minSamples, parts: partCount, available: trainCount)
        }

        var assignRandom = root.derived(2)
        let (allocation, draws) = try config.strategy.allocate(
            groupSizes: byClass ? trainClassCounts : [trainCount], config: config, using: &assignRandom)
        self.draws = draws
        let sizes = allocation.bucketSizes
        if config.strategy == .labelSkew, let smallest = sizes.indices.min(by: { sizes[$0] < sizes[$1] }),
            sizes[smallest] < config.minSamples
        {
            throw .partBelowMinimum(part: smallest, size: sizes[smallest], minSamples: config.minSamples)
        }
        let partOf = allocation.deal(
            rows: count, groupOf: byClass ? classOf : nil, skip: split.isTest,
            using: &assignRandom)
        (byPart, starts) = Self.bucket(partOf, sizes: sizes)
        overlapCounts = (0..<partCount).map { part in
            partCount == 1
                ? 0
                : PartitionConfig.overlapCount(
                    ratio: config.overlapRatio,
                    size: sizes[(part + 1) % partCount])
        }
        guard classification else {
            classCounts = (0..<partCount).map { _ in [] }
            return
        }
        // Own rows: the allocation's counts when it is by class, else one pass over the dataset. Copies: counted.
        var counts: [[Int]]
        if byClass {
            counts = (0..<partCount).map { part in allocation.counts.map { $0[part] } }
        } else {
            var flat = [Int](repeating: 0, count: partCount * classCount)
            let classes = classCount
            flat.withUnsafeMutableBufferPointer { flat in
                for (row, part) in partOf.enumerated() where part >= 0 {
                    flat[Int(part) * classes + Int(classOf[row])] += 1
                }
            }
            counts = (0..<partCount).map { Array(flat[$0 * classes..<($0 + 1) * classes]) }
        }
        for part in 0..<partCount where overlapCounts[part] > 0 {
            let next = (part + 1) % partCount
            for row in Self.prefix(
                byPart[starts[next]..<starts[next + 1]], overlapCounts[part], part: next,
                config: config)
            {
                counts[part][Int(classOf[row])] += 1
            }
        }
        classCounts = counts
    }

    /// Own rows of each part, not counting copies.
    var ownSizes: [Int] { (0..<max(starts.count - 1, 0)).map { starts[$0 + 1] - starts[$0] } }

    /// Part `part`'s own rows in its order.
    func own(_ part: Int) -> [Int] { ownPrefix(part, starts[part + 1] - starts[part]) }

    /// The first `count` rows of part `part` in its order, shuffling only as far as needed.
    func ownPrefix(_ part: Int, _ count: Int) -> [Int] {
        Self.prefix(byPart[starts[part]..<starts[part + 1]], count, part: part, config: config)
    }

    /// The first `count` rows of part `part`, whose rows in input order are `rows`.
    static func prefix(_ rows: ArraySlice<Int>, _ count: Int, part: Int, config: PartitionConfig) -> [Int] {
        guard config.strategy.isSeeded else { return Array(rows.prefix(count)) }
        var rows = Array(rows)
        var random = SeededRandom(seed: config.seed).derived(3).derived(UInt64(part))
        random.shuffle(&rows, prefix: count)
        return Array(rows.prefix(count))
    }

    /// Part `part` as written: its own rows, then copies of the first rows of the next part.
    public func part(_ part: Int) -> [Int] {
        own(part) + ownPrefix((part + 1) % config.totalParts, overlapCounts[part])
    }

    /// The rows this invocation writes: its part, or the test set.
    public var rows: [Int] { config.take == .test ? test : part(config.partIndex) }

    /// Sizes of every output as written (one "part" — the test set — for `--take test`).
    public var outputSizes: [Int] {
        config.take == .test ? [test.count] : zip(ownSizes, overlapCounts).map { $0 + $1 }
    }

    /// Class counts of every output, as `outputSizes`.
    public var outputClassCounts: [[Int]] {
        config.take == .test ? [testClassCounts] : classCounts
    }

    /// The training rows (every row not held out), ascending.
    var train: [Int] {
        let held = Set(test)
        return (0..<(trainCount + test.count)).filter { !held.contains($0) }
    }

    /// Every part's own rows in order (for tests and small inputs: it orders every part).
    var allOwn: [[Int]] { (0..<ownSizes.count).map(own) }

    /// Every part as written (for tests and small inputs).
    var allParts: [[Int]] { (0..<ownSizes.count).map(part) }

    /// The rows of every part in input order, part after part, from the part of every row (-1: in no part).
    static func bucket(_ partOf: [Int32], sizes: [Int]) -> (rows: [Int], starts: [Int]) {
        var starts = [0]
        for size in sizes { starts.append(starts.last! + size) }
        var next = starts
        let total = starts.last!
        let rows = [Int](unsafeUninitializedCapacity: total) { buffer, initialized in
            next.withUnsafeMutableBufferPointer { next in
                for (row, part) in partOf.enumerated() where part >= 0 {
                    buffer[next[Int(part)]] = row
                    next[Int(part)] += 1
                }
            }
            initialized = total
        }
        return (rows, starts)
    }

    /// Each label's index in `classes` (the reader has checked every label is among them).
    static func classIndices(_ labels: [Double], classes: [Double]) -> [Int32] {
        // The common case, classes 0, 1, …, K−1: the label is its own index.
        if classes.enumerated().allSatisfy({ Double($0.offset) == $0.element }) {
            return labels.map { Int32($0) }
        }
        var index = [Double: Int32]()
        for (position, value) in classes.enumerated() { index[value] = Int32(position) }
        return labels.map { index[$0] ?? 0 }
    }

    static func histogram<Rows: Sequence<Int>>(_ rows: Rows, classOf: [Int32], classes: Int) -> [Int] {
        guard classes > 0 else { return [] }
        var counts = [Int](repeating: 0, count: classes)
        for row in rows { counts[Int(classOf[row])] += 1 }
        return counts
    }

    /// The Dataset's `partition` object (docs/formats.md §2.3): how this part was made, with every part's size and
    /// class counts so a participant can check its neighbours' shares without their data.
    public func partitionObject() -> JSON {
        var object: [String: JSON] = [
            "seed": .uint64(config.seed),
            "holdout": .double(config.holdout),
            "take": .string(config.take.rawValue),
            "train_size": .int(trainCount),
            "test_size": .int(test.count),
            "sizes": .ints(outputSizes),
        ]
        if classCount > 0 { object["class_counts"] = .array(outputClassCounts.map { .ints($0) }) }
        guard config.take == .train else { return .object(object) }
        object["strategy"] = .string(config.strategy.rawValue)
        object["total_parts"] = .int(config.totalParts)
        object["part_index"] = .int(config.partIndex)
        object["min_samples"] = .int(config.minSamples)
        object["overlap_ratio"] = .double(config.overlapRatio)
        if config.strategy == .nonIID {
            object["alpha"] = .double(config.alpha ?? 0)
            object["self_balancing"] = .bool(config.selfBalancing)
            object["draws"] = .int(draws ?? 0)
        }
        return .object(object)
    }
}
