import Foundation
import Testing

@testable import Shared
@testable import prty_partition

/// Properties every plan must have, over many (samples, parts, classes, strategy, seed, overlap, holdout)
/// combinations: the parts of all participants are disjoint and cover the training set, sizes and class counts
/// are as balanced as each strategy promises, overlap copies exactly what it says, and the same inputs give the
/// same plan.
struct PartitionPlanTests {
    /// Labels 0..<classes, unevenly: class c is drawn with weight c + 1, so classes differ in size.
    static func labels(_ count: Int, classes: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        let total = classes * (classes + 1) / 2
        return (0..<count).map { _ in
            var pick = random.nextInt(below: total)
            for klass in 0..<classes {
                if pick <= klass { return Double(klass) }
                pick -= klass + 1
            }
            return Double(classes - 1)
        }
    }

    static func config(
        _ strategy: Strategy, parts: Int, index: Int = 0, seed: UInt64, overlap: Double = 0,
        holdout: Double = 0, alpha: Double? = nil, minSamples: Int = 0
    ) -> PartitionConfig {
        var config = PartitionConfig()
        config.strategy = strategy
        config.totalParts = parts
        config.partIndex = index
        config.seed = seed
        config.overlapRatio = overlap
        config.holdout = holdout
        config.alpha = alpha ?? (strategy == .nonIID ? 0.5 : nil)
        config.minSamples = minSamples
        return config
    }

    static func plan(_ labels: [Double], classes: Int, _ config: PartitionConfig) throws -> PartitionPlan {
        try PartitionPlan(
            labels: labels, task: .classification, classes: (0..<classes).map(Double.init),
            config: config)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var samples: Int, parts: Int, classes: Int, seed: UInt64
        var testDescription: String { "n=\(samples) P=\(parts) K=\(classes) seed=\(seed)" }
    }

    static let cases: [Case] = {
        var cases = [Case]()
        for samples in [0, 1, 2, 5, 17, 100, 257] {
            for parts in [1, 2, 3, 7, 10] {
                for classes in [1, 2, 3, 10] {
                    cases.append(
                        Case(
                            samples: samples, parts: parts, classes: classes,
                            seed: UInt64(samples * 1000 + parts * 10 + classes)))
                }
            }
        }
        return cases
    }()

    @Test(arguments: cases)
    func partsAreDisjointCoverAndAreBalanced(_ item: Case) throws {
        let labels = Self.labels(item.samples, classes: item.classes, seed: item.seed)
        for strategy in Strategy.allCases {
            for holdout in [0.0, 0.25] {
                let config = Self.config(strategy, parts: item.parts, seed: item.seed, holdout: holdout)
                let plan = try Self.plan(labels, classes: item.classes, config)
                let label = "\(strategy.rawValue) holdout \(holdout)"
                let classOf = labels.map { Int32($0) }
                // Disjoint and covering: every training row in exactly one part; no test row in any part.
                var seen = [Int](repeating: 0, count: item.samples)
                for part in plan.allOwn { for row in part { seen[row] += 1 } }
                for row in plan.train { #expect(seen[row] == 1, "\(label): row \(row) in \(seen[row]) parts") }
                for row in plan.test { #expect(seen[row] == 0, "\(label): test row \(row) in a part") }
                #expect(plan.train.count + plan.test.count == item.samples)
                #expect(Set(plan.train).isDisjoint(with: plan.test))
                #expect(
                    plan.allOwn.count == item.parts && plan.allParts == plan.allOwn,
                    "\(label): overlap 0 adds nothing")
                #expect(plan.ownSizes == plan.allOwn.map(\.count) && plan.outputSizes == plan.ownSizes)
                for (part, rows) in plan.allParts.enumerated() {
                    #expect(
                        plan.classCounts[part]
                            == PartitionPlan.histogram(
                                rows, classOf: classOf,
                                classes: item.classes))
                }
                // The test set is ⌊f·n⌉ rows, each class's share less than one row from its exact quota.
                let testCount = Int((holdout * Double(item.samples)).rounded())
                #expect(plan.test.count == testCount)
                let all = PartitionPlan.histogram(Array(0..<item.samples), classOf: classOf, classes: item.classes)
                for (klass, count) in plan.testClassCounts.enumerated() {
                    let quota = Double(testCount * all[klass]) / Double(max(item.samples, 1))
                    #expect(abs(Double(count) - quota) < 1, "\(label): class \(klass)")
                }

                let sizes = plan.allOwn.map(\.count)
                switch strategy {
                case .random, .sequential:
                    #expect(sizes.max()! - sizes.min()! <= 1, "\(label): sizes \(sizes)")
                    #expect(sizes == sizes.sorted(by: >), "\(label): larger parts first")
                case .stratified:
                    #expect(sizes.max()! - sizes.min()! <= 1, "\(label): sizes \(sizes)")
                    for klass in 0..<item.classes {
                        let counts = plan.classCounts.map { $0[klass] }
                        #expect(counts.max()! - counts.min()! <= 1, "\(label): class \(klass) counts \(counts)")
                    }
                case .labelSkew:
                    let trainCounts = PartitionPlan.histogram(plan.train, classOf: classOf, classes: item.classes)
                    for (part, counts) in plan.classCounts.enumerated() {
                        let held = counts.indices.filter { counts[$0] > 0 }
                        #expect(
                            held.allSatisfy {
                                LabelSkew.classes(
                                    ofPart: part, classes: item.classes,
                                    parts: item.parts
                                ).contains($0)
                            },
                            "\(label): part \(part) holds classes \(held)")
                        if item.classes < item.parts { #expect(held.count <= 1) }
                    }
                    // Every class with rows belongs to some part, even when there are fewer classes than parts.
                    for klass in 0..<item.classes where trainCounts[klass] > 0 {
                        #expect(plan.classCounts.contains { $0[klass] > 0 }, "\(label): class \(klass) unassigned")
                    }
                    if item.classes < item.parts {  // a class split between parts: near-equal pieces
                        for klass in 0..<item.classes {
                            let owners = LabelSkew.groups(of: item.parts, into: item.classes)[klass]
                            let pieces = owners.map { plan.classCounts[$0][klass] }
                            #expect(pieces.max()! - pieces.min()! <= 1, "\(label): class \(klass) pieces \(pieces)")
                        }
                    }
                case .nonIID:
                    #expect(plan.draws == 1)
                }
                if strategy == .sequential {
                    #expect(plan.allOwn.flatMap { $0 } == plan.train, "\(label): contiguous slices in input order")
                }
            }
        }
    }

    @Test(arguments: [0.1, 0.25, 0.29, 0.5, 1.0])
    func overlapCopiesTheFirstRowsOfTheNextPart(ratio: Double) throws {
        let labels = Self.labels(103, classes: 4, seed: 5)
        for strategy in Strategy.allCases {
            for parts in [1, 2, 3, 6] {
                let plain = try Self.plan(labels, classes: 4, Self.config(strategy, parts: parts, seed: 5))
                let plan = try Self.plan(
                    labels, classes: 4,
                    Self.config(strategy, parts: parts, seed: 5, overlap: ratio))
                #expect(plan.allOwn == plain.allOwn, "overlap does not change the parts themselves")
                for part in 0..<parts {
                    let next = plan.allOwn[(part + 1) % parts]
                    let copies = parts == 1 ? 0 : Int((ratio * Double(next.count) * (1 + 1e-9)).rounded(.down))
                    #expect(
                        plan.allParts[part] == plan.allOwn[part] + next.prefix(copies),
                        "\(strategy) part \(part)")
                    #expect(
                        plan.classCounts[part]
                            == PartitionPlan.histogram(
                                plan.allParts[part], classOf: labels.map { Int32($0) }, classes: 4))
                    #expect(plan.outputSizes[part] == plan.allParts[part].count)
                }
            }
        }
        #expect(PartitionConfig.overlapCount(ratio: 0.29, size: 100) == 29)
        #expect(PartitionConfig.overlapCount(ratio: 0.5, size: 7) == 3)
        #expect(PartitionConfig.overlapCount(ratio: 1, size: 7) == 7)
    }

    @Test func sameInputsGiveTheSamePlanAndSeedsMatter() throws {
        let labels = Self.labels(500, classes: 5, seed: 3)
        for strategy in Strategy.allCases {
            let config = Self.config(strategy, parts: 4, seed: 11, overlap: 0.2, holdout: 0.1)
            let a = try Self.plan(labels, classes: 5, config)
            let b = try Self.plan(labels, classes: 5, config)
            #expect(a.allParts == b.allParts && a.test == b.test && a.partitionObject() == b.partitionObject())
            var other = config
            other.seed = 12
            let c = try Self.plan(labels, classes: 5, other)
            #expect(c.test != a.test, "the held-out split depends on the seed")
            if strategy.isSeeded { #expect(c.allOwn != a.allOwn, "\(strategy) depends on the seed") }
            // Every participant computes the same plan whatever its own index.
            var participant = config
            participant.partIndex = 3
            #expect(try Self.plan(labels, classes: 5, participant).allParts == a.allParts)
        }
    }

    @Test func sequentialIgnoresTheSeedAndKeepsInputOrder() throws {
        let labels = Self.labels(10, classes: 2, seed: 1)
        let a = try Self.plan(labels, classes: 2, Self.config(.sequential, parts: 3, seed: 1))
        let b = try Self.plan(labels, classes: 2, Self.config(.sequential, parts: 3, seed: 99))
        #expect(a.allOwn == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]])
        #expect(b.allOwn == a.allOwn)
    }

    @Test func rowsOfASeededPartComeInASeededOrder() throws {
        // Sorted by class, as many files are: the first rows of a part (what overlap copies) are still a mix.
        let labels = (0..<300).map { Double($0 / 100) }
        let plan = try Self.plan(labels, classes: 3, Self.config(.stratified, parts: 2, seed: 8))
        for part in plan.allOwn {
            #expect(part != part.sorted(), "a seeded order, not input order")
            let firstClasses = Set(part.prefix(30).map { Int(labels[$0]) })
            #expect(firstClasses.count == 3, "the first rows of a part mix the classes")
        }
    }

    @Test func holdoutQuotasAreExactLargestRemainders() {
        #expect(Holdout.quotas(30, sizes: [50, 50, 50], total: 150) == [10, 10, 10])
        #expect(Holdout.quotas(3, sizes: [5, 5, 5, 5], total: 20) == [1, 1, 1, 0])
        #expect(Holdout.quotas(5, sizes: [7, 2, 1], total: 10) == [4, 1, 0])  // 3.5, 1, 0.5 → ties to the earlier
        #expect(Holdout.quotas(0, sizes: [3, 4], total: 7) == [0, 0])
    }

    @Test func regressionHoldoutAndPlainStrategies() throws {
        let labels = (0..<40).map { Double($0) * 0.5 + 0.25 }
        for strategy in [Strategy.random, .sequential] {
            var config = Self.config(strategy, parts: 3, seed: 4, holdout: 0.2)
            config.overlapRatio = 0.5
            let plan = try PartitionPlan(labels: labels, task: .regression, classes: [], config: config)
            #expect(plan.test.count == 8 && plan.train.count == 32)
            #expect(plan.allOwn.map(\.count) == [11, 11, 10])
            #expect(plan.classCounts.allSatisfy { $0.isEmpty })
            #expect(plan.partitionObject()["class_counts"] == nil)
        }
        for strategy in [Strategy.stratified, .nonIID, .labelSkew] {
            #expect(throws: PartitionError.needsClasses(strategy)) {
                try PartitionPlan(
                    labels: labels, task: .regression, classes: [],
                    config: Self.config(strategy, parts: 2, seed: 1))
            }
        }
    }

    @Test func minSamplesThatNoStrategyCanMeetIsRefused() throws {
        let labels = Self.labels(100, classes: 3, seed: 2)
        for strategy in Strategy.allCases {
            #expect(throws: PartitionError.minSamplesUnreachable(minSamples: 26, parts: 4, available: 100)) {
                try Self.plan(labels, classes: 3, Self.config(strategy, parts: 4, seed: 1, minSamples: 26))
            }
        }
        for strategy in [Strategy.random, .sequential, .stratified] {
            let plan = try Self.plan(labels, classes: 3, Self.config(strategy, parts: 4, seed: 1, minSamples: 25))
            #expect(plan.allOwn.allSatisfy { $0.count == 25 })
        }
    }

    @Test func labelSkewBelowMinSamplesIsRefused() throws {
        // Classes of sizes 10, 20, 30 into 3 parts: one class each, so part 0 gets 10 rows.
        let labels = (0..<60).map { Double($0 < 10 ? 0 : $0 < 30 ? 1 : 2) }
        let ok = try Self.plan(labels, classes: 3, Self.config(.labelSkew, parts: 3, seed: 1, minSamples: 10))
        #expect(ok.allOwn.map(\.count) == [10, 20, 30])
        #expect(throws: PartitionError.partBelowMinimum(part: 0, size: 10, minSamples: 11)) {
            try Self.plan(labels, classes: 3, Self.config(.labelSkew, parts: 3, seed: 1, minSamples: 11))
        }
    }

    @Test func partitionObjectRecordsTheConfigurationAndEveryPart() throws {
        let labels = Self.labels(60, classes: 3, seed: 6)
        let plan = try Self.plan(
            labels, classes: 3,
            Self.config(.nonIID, parts: 3, index: 2, seed: 42, overlap: 0.1, holdout: 0.2))
        let object = plan.partitionObject()
        #expect(object["strategy"] == "non_iid")
        #expect(object["total_parts"] == 3 && object["part_index"] == 2 && object["seed"] == 42)
        #expect(object["alpha"] == 0.5 && object["self_balancing"] == false && object["draws"] == 1)
        #expect(object["overlap_ratio"] == 0.1 && object["holdout"] == 0.2 && object["take"] == "train")
        #expect(object["min_samples"] == 0 && object["train_size"] == 48 && object["test_size"] == 12)
        #expect(object["sizes"] == .ints(plan.allParts.map(\.count)))
        #expect(object["class_counts"] == .array(plan.classCounts.map { .ints($0) }))
        #expect(plan.rows == plan.allParts[2])

        var test = Self.config(.nonIID, parts: 3, index: 2, seed: 42, holdout: 0.2)
        test.take = .test
        let testPlan = try Self.plan(labels, classes: 3, test)
        #expect(testPlan.rows == plan.test)
        #expect(testPlan.partitionObject()["strategy"] == nil)
        #expect(testPlan.partitionObject()["sizes"] == [12])
    }

    @Test func nonContiguousClassValuesAreIndexedBySortedPosition() {
        #expect(PartitionPlan.classIndices([5, -1, 2.5, 5], classes: [-1, 2.5, 5]) == [2, 0, 1, 2])
        #expect(PartitionPlan.classIndices([], classes: []) == [])
        #expect(PartitionPlan.classIndices([0, 2, 1], classes: [0, 1, 2]) == [0, 2, 1])
    }
}
