import Shared

/// The whole partition of one dataset, as every participant computes it: the held-out split, every part, and the
/// order of rows inside each part. Pure: a function of the labels, the configuration and the seed, so the same
/// inputs give the same plan on every machine and in every round.
///
/// Random streams, each derived from the seed so that one step never shifts another: 1 held-out split,
/// 2 assignment, 3 row order.
///
/// Row order inside a part: sequential keeps input order (it draws nothing); every other strategy lists a part's
/// rows in the order of one seeded permutation of the training rows, so "the first rows of a part" — what the
/// overlap copies — are a uniform sample of it even when the input is sorted by class. Overlap copies come after a
/// part's own rows. The held-out test set is in input order.
struct PartitionPlan: Sendable {
    let config: PartitionConfig
    /// Rows left for training after the held-out split, ascending.
    let train: [Int]
    /// The held-out test rows, ascending.
    let test: [Int]
    /// Every part's own rows: disjoint, together exactly `train`. Empty when only the test set is taken.
    let own: [[Int]]
    /// Every part as written: its own rows, then copies of the first ⌊r·|next part|⌋ rows of the next part.
    let parts: [[Int]]
    /// How many Dirichlet draws it took (non_iid only).
    let draws: Int?
    /// The number of classes (0 for regression).
    let classCount: Int
    /// Class counts of every part in `parts` (classification; empty for regression), in `classes` order.
    let classCounts: [[Int]]
    /// Class counts of the test set.
    let testClassCounts: [Int]

    init(_ dataset: Dataset, config: PartitionConfig) throws(PartitionError) {
        try self.init(labels: dataset.labels, task: dataset.task, classes: dataset.classes, config: config)
    }

    init(labels: [Double], task: Dataset.Task, classes: [Double], config: PartitionConfig) throws(PartitionError) {
        self.config = config
        let count = labels.count
        let classOf = task == .classification ? Self.classIndices(labels, classes: classes) : []
        classCount = task == .classification ? classes.count : 0
        var allClassRows = [[Int]](repeating: [], count: classCount)
        for (row, klass) in classOf.enumerated() { allClassRows[klass].append(row) }

        let root = SeededRandom(seed: config.seed)
        var holdoutRandom = root.derived(1)
        (train, test) = Holdout.split(count: count, classRows: allClassRows, fraction: config.holdout,
                                      using: &holdoutRandom)
        testClassCounts = Self.histogram(test, classOf: classOf, classes: classCount)

        guard config.take == .train else {
            own = []
            parts = []
            draws = nil
            classCounts = []
            return
        }
        let partCount = config.totalParts
        if config.strategy.needsClasses, task == .regression { throw .needsClasses(config.strategy) }
        if config.minSamples > train.count / partCount {
            throw .minSamplesUnreachable(minSamples: config.minSamples, parts: partCount, available: train.count)
        }

        var classRows = allClassRows
        if !test.isEmpty {
            var isTest = [Bool](repeating: false, count: count)
            for row in test { isTest[row] = true }
            classRows = allClassRows.map { $0.filter { !isTest[$0] } }
        }
        var assignRandom = root.derived(2)
        let assigned = try config.strategy.assign(
            TrainingSet(rows: train, classRows: classRows), config: config, using: &assignRandom)
        draws = assigned.draws
        if config.strategy == .labelSkew, let smallest = assigned.parts.indices.min(by: {
            assigned.parts[$0].count < assigned.parts[$1].count
        }), assigned.parts[smallest].count < config.minSamples {
            throw .partBelowMinimum(part: smallest, size: assigned.parts[smallest].count,
                                    minSamples: config.minSamples)
        }

        if config.strategy.isSeeded {
            var orderRandom = root.derived(3)
            own = Self.ordered(assigned.parts, rows: train, count: count, using: &orderRandom)
        } else {
            own = assigned.parts
        }
        let parts = Self.withOverlap(own, ratio: config.overlapRatio)
        let classes = classCount
        self.parts = parts
        classCounts = parts.map { Self.histogram($0, classOf: classOf, classes: classes) }
    }

    /// The rows this invocation writes: its part, or the test set.
    var rows: [Int] { config.take == .test ? test : parts[config.partIndex] }

    /// The rows of every part in the output (one "part" — the test set — for `--take test`).
    var outputs: [[Int]] { config.take == .test ? [test] : parts }

    /// Class counts of every output, as `outputs`.
    var outputClassCounts: [[Int]] { config.take == .test ? (classCount > 0 ? [testClassCounts] : []) : classCounts }

    /// `own` rearranged so each part lists its rows in the order of one seeded permutation of the training rows.
    static func ordered(_ parts: [[Int]], rows: [Int], count: Int, using random: inout SeededRandom) -> [[Int]] {
        var partOf = [Int32](repeating: -1, count: count)
        for (part, members) in parts.enumerated() {
            for row in members { partOf[row] = Int32(part) }
        }
        var permutation = rows
        random.shuffle(&permutation)
        var result = parts.map { members -> [Int] in
            var empty = [Int]()
            empty.reserveCapacity(members.count)
            return empty
        }
        for row in permutation { result[Int(partOf[row])].append(row) }
        return result
    }

    /// Part i followed by copies of the first ⌊r·|part i+1|⌋ rows of part i+1 (part 0 after the last). One part
    /// has no neighbour, so it gets no copies.
    static func withOverlap(_ own: [[Int]], ratio: Double) -> [[Int]] {
        guard own.count > 1, ratio > 0 else { return own }
        return own.indices.map { part in
            let next = own[(part + 1) % own.count]
            return own[part] + next.prefix(PartitionConfig.overlapCount(ratio: ratio, size: next.count))
        }
    }

    /// Each label's index in `classes` (the reader has checked every label is among them).
    static func classIndices(_ labels: [Double], classes: [Double]) -> [Int] {
        // The common case, classes 0, 1, …, K−1: the label is its own index.
        if classes.enumerated().allSatisfy({ Double($0.offset) == $0.element }) {
            return labels.map { Int($0) }
        }
        var index = [Double: Int]()
        for (position, value) in classes.enumerated() { index[value] = position }
        return labels.map { index[$0] ?? 0 }
    }

    static func histogram(_ rows: [Int], classOf: [Int], classes: Int) -> [Int] {
        guard classes > 0 else { return [] }
        var counts = [Int](repeating: 0, count: classes)
        for row in rows { counts[classOf[row]] += 1 }
        return counts
    }

    /// The Dataset's `partition` object (DESIGN.md): how this part was made, with every part's size and class
    /// counts so a participant can check its neighbours' shares without their data.
    func partitionObject() -> JSON {
        var object: [String: JSON] = [
            "seed": .uint64(config.seed),
            "holdout": .double(config.holdout),
            "take": .string(config.take.rawValue),
            "train_size": .int(train.count),
            "test_size": .int(test.count),
            "sizes": .ints(outputs.map(\.count)),
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
