import Foundation
import Shared
import Synchronization

/// A random-forest classifier with scikit-learn's `RandomForestClassifier` semantics: bootstrap samples, a random
/// subset of features per node, best splits by Gini or entropy, soft voting (the mean of the trees' leaf class
/// probabilities), out-of-bag score, and mean-decrease-in-impurity importance normalised per tree and for the
/// forest. Trees grow in parallel on every core; tree i always draws from `SeededRandom(random_state)
/// .derived(i)` and lands in slot i, so the forest is identical whatever the scheduling.
struct RandomForest: Sendable, Equatable {
    /// The Dataset's class label values, ascending: probability column k is class `classes[k]`.
    var classes: [Double]
    var featureCount: Int
    var trees: [ForestTree]
    /// Mean decrease in impurity per feature (length F), summing to 1 — all zeros only for a forest whose trees
    /// are all single leaves.
    var featureImportance: [Double]
    /// Accuracy of the out-of-bag predictions over the rows that were out of bag for at least one tree; `nil`
    /// when not asked for or when no row ever was.
    var oobScore: Double?
    /// The participants whose forests make this one, in tree order (one for a forest fresh from `fit`, several for
    /// a union): how many trees each gave and the label counts it trained on. Empty for a document written before
    /// forests recorded them, which then can only be combined by plain soft voting.
    var members: [Member] = []
    /// How `predictProbabilities` combines the members' forests (see `Voting`).
    var voting = Voting.priorCorrected

    /// One participant's share of a forest: `trees` consecutive trees grown on rows with `labelCounts[k]` rows of
    /// `classes[k]`.
    struct Member: Sendable, Equatable {
        var trees: Int
        var labelCounts: [Int]

        var rows: Int { labelCounts.reduce(0, +) }
    }

    /// How a union of participants' forests turns into one posterior.
    enum Voting: String, Sendable, CaseIterable {
        /// Each participant's posterior p_j(c|x) re-weighted by its label prior, p_j(c|x)·π(c)/π_j(c) with π the
        /// label shares of all members together and π_j the participant's own, then averaged weighted by the
        /// members' row counts and normalised. Under label skew a forest that saw few rows of a class otherwise
        /// votes against it everywhere. A member that never saw class c has no opinion on it and abstains from
        /// c's average. One member (or no label counts) is plain soft voting.
        case priorCorrected = "prior_corrected"
        /// The mean of every tree's leaf probabilities (scikit-learn's `predict_proba`).
        case soft
    }

    // MARK: Fit

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
        guard data.count > 0 else { throw DataError("the dataset has no rows to grow a forest on") }
        guard data.count < Int(Int32.max) else {
            throw DataError("a random forest takes at most \(Int32.max - 1) rows, the dataset has \(data.count)")
        }
        guard data.width == config.featureCount else {
            throw DataError(
                "the dataset has \(data.width) features per row but the forest was configured "
                    + "for \(config.featureCount)")
        }
        let started = clock()
        let workers = max(1, min(threads, config.numTrees))
        let prepared = try ForestData(data, classes: config.classes, threads: workers)
        let rankedAt = clock()
        log.info(
            "forest_start",
            "growing \(config.numTrees) trees on \(data.count) rows × \(data.width) features "
                + "with \(workers) thread\(workers == 1 ? "" : "s")",
            [
                "trees": .int(config.numTrees), "rows": .int(data.count), "features": .int(data.width),
                "threads": .int(workers),
            ])

        let slots = ForestSlots<ForestBuilder.Grown>(count: config.numTrees)
        defer { slots.release() }
        let next = ForestCounter()
        let root = SeededRandom(seed: config.randomState)
        let total = config.numTrees
        let progress = ProgressReporter(log: log, label: "growing trees", unit: .items("trees"), total: Int64(total))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let builder = ForestBuilder(data: prepared, config: config)
            while !Interruption.isRequested, !control.isPastDeadline {
                let index = next.value.add(1, ordering: .relaxed).oldValue
                guard index < total else { return }
                guard let grown = builder.grow(index: index, random: root.derived(UInt64(index))) else { return }
                slots.store(grown, at: index)
                progress.advance()
            }
        }
        progress.finish()
        try Interruption.check()
        if control.isPastDeadline, slots.count < total {
            throw ForestDeadlineError(limit: control.deadlineText, grown: slots.count, trees: total)
        }
        let grownAt = clock()
        var grown = [ForestBuilder.Grown]()
        grown.reserveCapacity(total)
        for index in 0..<total {
            guard let tree = slots.take(at: index) else {
                throw DataError("internal error: tree \(index) was not grown")
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
        let finished = clock()
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

    /// Seconds on CLOCK_MONOTONIC, for the log line.
    private static func clock() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
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

    // MARK: Predict

    /// Mean of the trees' leaf class probabilities, row-major `rows × classes.count`. `data.width` must be
    /// `featureCount` (callers check it). Rows are split among threads; each row sums its trees in tree order.
    func predictProbabilities(_ data: Dataset) -> [Double] {
        predictProbabilities(data, voting: voting)
    }

    /// The members' forests combined as `voting` says (see `Voting`); soft voting for a single member or when a
    /// member's label counts are unknown.
    func predictProbabilities(_ data: Dataset, voting: Voting) -> [Double] {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let k = classes.count
        guard voting == .priorCorrected, members.count > 1,
            members.allSatisfy({ $0.labelCounts.count == k && $0.rows > 0 }),
            members.reduce(0, { $0 + $1.trees }) == trees.count
        else { return probabilities(data, threads: threads) }
        var classTotals = [Double](repeating: 0, count: k)
        for member in members {
            for c in 0..<k { classTotals[c] += Double(member.labelCounts[c]) }
        }
        let total = classTotals.reduce(0, +)
        var scores = [Double](repeating: 0, count: data.count * k)
        // Σ over the members that saw class c of their weights, to average over exactly those.
        var weightSums = [Double](repeating: 0, count: k)
        var first = 0
        for member in members {
            let part = RandomForest(
                classes: classes, featureCount: featureCount, trees: Array(trees[first..<first + member.trees]),
                featureImportance: featureImportance, oobScore: nil)
            first += member.trees
            let p = part.probabilities(data, threads: threads)
            let rows = Double(member.rows)
            let weight = rows / total
            var factors = [Double](repeating: 0, count: k)
            for c in 0..<k where member.labelCounts[c] > 0 {
                // π(c) / π_j(c)
                factors[c] = (classTotals[c] / total) / (Double(member.labelCounts[c]) / rows)
                weightSums[c] += weight
            }
            // Each member's corrected posterior is normalised on its own before averaging: unnormalised, a member
            // would weigh in most where its own data are thinnest (its p_j(x) is smallest there).
            for row in 0..<data.count {
                var sum = 0.0
                for c in 0..<k { sum += factors[c] * p[row * k + c] }
                guard sum > 0 else { continue }
                for c in 0..<k { scores[row * k + c] += weight * factors[c] * p[row * k + c] / sum }
            }
        }
        for row in 0..<data.count {
            var sum = 0.0
            for c in 0..<k {
                if weightSums[c] > 0 { scores[row * k + c] /= weightSums[c] }
                sum += scores[row * k + c]
            }
            if sum > 0 {
                for c in 0..<k { scores[row * k + c] /= sum }
            } else {
                for c in 0..<k { scores[row * k + c] = 1 / Double(k) }
            }
        }
        return scores
    }

    /// The class label value with the highest mean probability for each row; a tie goes to the smallest class.
    func predict(_ data: Dataset) -> [Double] {
        let k = classes.count
        let probabilities = predictProbabilities(data)
        return (0..<data.count).map { row in classes[Self.argmax(probabilities, offset: row * k, count: k)] }
    }

    static func argmax(_ values: [Double], offset: Int, count: Int) -> Int {
        var best = 0
        for c in 1..<max(count, 1) where values[offset + c] > values[offset + best] { best = c }
        return best
    }

    /// Sums, per row, the leaf probabilities of the trees that vote for it (every tree, or with `inBag` only the
    /// trees the row was out of bag for), divided by their number (all zeros for none).
    ///
    /// Rows go in chunks that stay in the L2 cache, tree by tree, so a tree's nodes are reused across the chunk;
    /// eight rows descend a tree in lockstep, so eight node loads are in flight at once instead of one.
    private func probabilities(_ data: Dataset, threads: Int, inBag: [[UInt64]]? = nil) -> [Double] {
        precondition(data.width == featureCount, "rows must have featureCount features")
        let k = classes.count
        let rowCount = data.count
        var output = [Double](repeating: 0, count: rowCount * k)
        guard rowCount > 0, !trees.isEmpty else { return output }
        let width = featureCount
        let compact = trees.map { ForestTree.Compact($0, classCount: k) }
        let chunk = max(64, min(4096, 32768 / max(width, 1)))
        let chunks = (rowCount + chunk - 1) / chunk
        let workers = min(max(threads, 1), chunks)
        output.withUnsafeMutableBufferPointer { out in
            let target = ForestShared(out.baseAddress!)
            data.features.withUnsafeBufferPointer { features in
                let rows = ForestShared(features.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let voters = UnsafeMutablePointer<Int32>.allocate(capacity: chunk)
                    let listed = UnsafeMutablePointer<Int>.allocate(capacity: chunk)
                    let at = UnsafeMutablePointer<Int>.allocate(capacity: 8)
                    defer {
                        voters.deallocate()
                        listed.deallocate()
                        at.deallocate()
                    }
                    for index in stride(from: worker, to: chunks, by: workers) {
                        let first = index * chunk
                        let last = min(first + chunk, rowCount)
                        voters.initialize(repeating: 0, count: last - first)
                        for (t, tree) in compact.enumerated() {
                            var count = 0
                            if let inBag {
                                let bits = inBag[t]
                                for row in first..<last where bits[row >> 6] & (1 << UInt64(row & 63)) == 0 {
                                    listed[count] = row
                                    count += 1
                                }
                            } else {
                                for row in first..<last {
                                    listed[count] = row
                                    count += 1
                                }
                            }
                            tree.vote(
                                rows: listed, count: count, features: rows.value, width: width,
                                into: target.value, classCount: k, lanes: at)
                            for position in 0..<count { voters[listed[position] - first] += 1 }
                        }
                        for row in first..<last where voters[row - first] > 0 {
                            let scale = 1 / Double(voters[row - first])
                            for c in 0..<k { target.value[row * k + c] *= scale }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Loss and accuracy of the out-of-bag predictions; the accuracy is scikit-learn's `oob_score_`, except that
    /// rows in every tree's bag are left out rather than counted as class 0. `nil` when no row was ever out of bag.
    private func outOfBagMetrics(
        _ data: Dataset, labels: UnsafeMutablePointer<Int32>, inBag: [[UInt64]],
        threads: Int
    ) -> Metrics? {
        let probabilities = probabilities(data, threads: threads, inBag: inBag)
        let k = classes.count
        var scored = [Double]()
        var targets = [Int]()
        for row in 0..<data.count {
            var any = false
            for c in 0..<k where probabilities[row * k + c] != 0 { any = true }
            guard any else { continue }
            scored.append(contentsOf: probabilities[row * k..<(row + 1) * k])
            targets.append(Int(labels[row]))
        }
        return targets.isEmpty ? nil : Metrics.classification(probabilities: scored, classCount: k, targets: targets)
    }

    // MARK: Union

    /// The forests' trees concatenated in argument order; importance (and the out-of-bag score, when every forest
    /// has one) averaged with weights `dataSizes`. All forests must share classes and feature count
    /// (`checkUnion` says which does not).
    static func union(_ forests: [RandomForest], dataSizes: [Int]) -> RandomForest {
        precondition(!forests.isEmpty && forests.count == dataSizes.count, "one data size per forest")
        let featureCount = forests[0].featureCount
        let totalSize = dataSizes.reduce(0, +)
        var importance = [Double](repeating: 0, count: featureCount)
        var oob: Double? = 0
        for (forest, size) in zip(forests, dataSizes) {
            let weight = totalSize > 0 ? Double(size) / Double(totalSize) : 1 / Double(forests.count)
            for feature in 0..<featureCount { importance[feature] += weight * forest.featureImportance[feature] }
            if let score = forest.oobScore, let sum = oob { oob = sum + weight * score } else { oob = nil }
        }
        // A forest without label counts (an older document) still counts as one member, so trees stay attributed.
        let members = forests.flatMap { forest in
            forest.members.isEmpty ? [Member(trees: forest.trees.count, labelCounts: [])] : forest.members
        }
        return RandomForest(
            classes: forests[0].classes, featureCount: featureCount,
            trees: forests.flatMap(\.trees), featureImportance: importance, oobScore: oob, members: members,
            voting: forests[0].voting)
    }

    /// Throws when the forests cannot be united: none, or differing classes or feature counts.
    static func checkUnion(_ forests: [RandomForest]) throws {
        guard let first = forests.first else { throw DataError("no random forests to aggregate") }
        for (index, forest) in forests.enumerated().dropFirst() {
            guard forest.classes == first.classes else {
                throw DataError(
                    "random forest \(index + 1) has classes \(forest.classes.map(NumberFormat.shortest)) "
                        + "but forest 1 has \(first.classes.map(NumberFormat.shortest)); only forests of one dataset unite"
                )
            }
            guard forest.featureCount == first.featureCount else {
                throw DataError(
                    "random forest \(index + 1) has \(forest.featureCount) features but forest 1 "
                        + "has \(first.featureCount); only forests of one dataset unite")
            }
        }
    }
}

/// One slot per tree, each written by exactly one worker and read by the owner after the workers are done:
/// that ownership is the invariant behind `@unchecked Sendable`.
private final class ForestSlots<Value>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Value?>
    private let stored = Atomic<Int>(0)

    init(count: Int) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: nil)
    }

    func store(_ value: Value, at index: Int) {
        buffer[index] = value
        stored.add(1, ordering: .relaxed)
    }
    /// How many values are stored.
    var count: Int { stored.load(ordering: .relaxed) }
    func take(at index: Int) -> Value? {
        let value = buffer[index]
        buffer[index] = nil
        return value
    }
    func release() {
        buffer.deinitialize()
        buffer.deallocate()
    }
}

/// `--deadline` passed before every tree was grown: exit 1, as for the other models.
struct ForestDeadlineError: ExitStatusError {
    var limit: String
    var grown: Int
    var trees: Int
    var description: String {
        "training did not finish within the deadline of \(limit) (\(grown) of \(trees) trees grown); raise --deadline "
            + "or ask for fewer trees (model_config.num_trees)"
    }
    var exitStatus: ExitStatus { .failure }
}

extension TrainingControl {
    /// Whether the deadline, if any, has passed (read by the tree workers between trees).
    fileprivate var isPastDeadline: Bool {
        guard let deadline else { return false }
        return Monotonic.seconds() > deadline
    }
}

/// The next tree a worker takes.
private final class ForestCounter: Sendable {
    let value = Atomic<Int>(0)
}
