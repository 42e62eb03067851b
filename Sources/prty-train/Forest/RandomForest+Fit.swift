import Foundation
import Shared
import Synchronization

extension RandomForest {
    /// Grows `config.numTrees` trees on `data` using every core. Polls `Interruption` (exit 130) between trees and
    /// every 1024 nodes inside one, and `control`'s deadline (exit 1) between trees; logs progress through `log`.
    static func fit(_ data: Dataset, config: ForestConfig, log: Log, control: TrainingControl = .unlimited) throws
        -> RandomForest
    {
        try fit(data, config: config, log: log, control: control, threads: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// `fit` on a given number of worker threads (the output never depends on it).
    static func fit(
        _ data: Dataset, config: ForestConfig, log: Log, control: TrainingControl = .unlimited,
        threads: Int
    ) throws -> RandomForest {
        try fitMeasured(data, config: config, log: log, control: control, threads: threads, outOfBag: false).forest
    }

    /// `fit`, and with `outOfBag` the loss and accuracy of the out-of-bag predictions (nil when no row was ever
    /// out of bag).
    static func fitMeasured(
        _ data: Dataset, config: ForestConfig, log: Log, control: TrainingControl = .unlimited,
        threads: Int, outOfBag measure: Bool
    ) throws -> (forest: RandomForest, outOfBag: Metrics?) {
        guard data.count > 0 else { throw TrainError.data("the dataset has no rows to grow a forest on") }
        guard data.count < Int(Int32.max) else {
            throw TrainError.data("a random forest takes at most \(Int32.max - 1) rows, the dataset has \(data.count)")
        }
        guard data.width == config.featureCount else {
            throw TrainError.data(
                "the dataset has \(data.width) features per row but the forest was configured "
                    + "for \(config.featureCount)")
        }
        let started = Monotonic.seconds()
        let workers = max(1, min(threads, config.numTrees))
        let prepared = try ForestData(data, classes: config.classes, threads: workers)
        let rankedAt = Monotonic.seconds()
        log.info(
            "forest_start",
            "growing \(config.numTrees) trees on \(data.count) rows × \(data.width) features "
                + "with \(workers) thread\(workers == 1 ? "" : "s")",
            [
                "trees": .int(config.numTrees), "rows": .int(data.count), "features": .int(data.width),
                "threads": .int(workers),
            ])

        let slots = ParallelSlots<ForestBuilder.Grown>(count: config.numTrees)
        defer { slots.release() }
        let next = Atomic<Int>(0)  // the next tree a worker takes
        let root = SeededRandom(seed: config.randomState)
        let total = config.numTrees
        let progress = ProgressReporter(log: log, label: "growing trees", unit: .items("trees"), total: Int64(total))
        Parallel.workers(workers) { _ in
            let builder = ForestBuilder(data: prepared, config: config)
            while !Interruption.isRequested, !control.isPastDeadline {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < total else { return }
                guard let grown = builder.grow(index: index, random: root.derived(UInt64(index))) else { return }
                slots.store(grown, at: index)
                progress.advance()
            }
        }
        progress.finish()
        try Interruption.check()
        if control.isPastDeadline, slots.count < total {
            throw TrainError.forestDeadline(limit: control.deadlineText, grown: slots.count, trees: total)
        }
        let grownAt = Monotonic.seconds()
        var grown = [ForestBuilder.Grown]()
        grown.reserveCapacity(total)
        for index in 0..<total {
            guard let tree = slots.take(at: index) else {
                throw TrainError.data("internal error: tree \(index) was not grown")
            }
            grown.append(tree)
        }

        var labelCounts = [Int](repeating: 0, count: config.classes.count)
        for row in 0..<data.count { labelCounts[Int(prepared.classIndex[row])] += 1 }
        var forest = RandomForest(
            classes: config.classes, featureCount: data.width, trees: grown.map(\.tree),
            featureImportance: importance(
                grown.map(\.importance), nodeCounts: grown.map(\.tree.nodes.count),
                featureCount: data.width),
            oobScore: nil, members: [Member(trees: total, labelCounts: labelCounts)])
        var outOfBag: Metrics? = nil
        if config.oobScore || measure {
            outOfBag = forest.outOfBagMetrics(
                data, labels: prepared.classIndex, inBag: grown.map(\.inBag),
                threads: workers)
            if config.oobScore { forest.oobScore = outOfBag?.accuracy }
        }
        let nodes = forest.trees.reduce(0) { $0 + $1.nodes.count }
        let finished = Monotonic.seconds()
        log.debug(
            "forest_timing",
            "ranking \(Self.milliseconds(rankedAt - started)) ms, trees "
                + "\(Self.milliseconds(grownAt - rankedAt)) ms, out-of-bag \(Self.milliseconds(finished - grownAt)) ms")
        let seconds = finished - started
        let oobText = forest.oobScore.map {
            ", out-of-bag accuracy \(NumberFormat.shortest(($0 * 1e4).rounded() / 1e4))"
        }
        log.info(
            "forest_done",
            "grew \(total) trees (\(nodes) nodes) in \(NumberFormat.shortest((seconds * 1e3).rounded() / 1e3)) s"
                + (oobText ?? ""),
            ["trees": .int(total), "nodes": .int(nodes), "oob_score": forest.oobScore.map(JSON.double) ?? .null])
        return (forest, measure ? outOfBag : nil)
    }

    private static func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

    /// scikit-learn's `feature_importances_`: each tree's MDI normalised to sum 1, averaged over the trees with
    /// more than one node, renormalised. In tree order, so the sums are reproducible.
    static func importance(_ perTree: [[Double]], nodeCounts: [Int], featureCount: Int) -> [Double] {
        var sum = [Double](repeating: 0, count: featureCount)
        var used = 0
        for (tree, raw) in perTree.enumerated() where nodeCounts[tree] > 1 {
            let total = raw.reduce(0, +)
            guard total > 0 else { continue }
            for feature in 0..<featureCount { sum[feature] += raw[feature] / total }
            used += 1
        }
        guard used > 0 else { return sum }
        let mean = sum.map { $0 / Double(used) }
        let total = mean.reduce(0, +)
        return total > 0 ? mean.map { $0 / total } : mean
    }
}
