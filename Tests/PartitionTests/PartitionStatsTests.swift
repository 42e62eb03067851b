import Foundation
import Testing

@testable import Shared
@testable import prty_partition

struct PartitionStatsTests {
    @Test func totalVariationKnownValues() {
        #expect(PartitionStats.totalVariation([5, 5], [10, 10]) == 0)
        #expect(PartitionStats.totalVariation([10, 0], [0, 10]) == 1)
        #expect(PartitionStats.totalVariation([3, 1], [1, 1]) == 0.25)
        #expect(PartitionStats.totalVariation([0, 0], [1, 1]) == nil)
    }

    static func dataset(_ labels: [Double], classes: Int, names: [String]? = nil) -> Dataset {
        Dataset(
            features: [], width: 0, labels: labels, task: .classification, classes: (0..<classes).map(Double.init),
            labelNames: names)
    }

    @Test func labelSkewWithOneClassPerPartHasTheMaximumSkew() throws {
        let labels = (0..<90).map { Double($0 % 3) }
        let plan = try PartitionPlanTests.plan(
            labels, classes: 3,
            PartitionPlanTests.config(
                .labelSkew, parts: 3,
                seed: 1))
        let stats = PartitionStats(plan: plan, dataset: Self.dataset(labels, classes: 3))
        let skews = stats.partSkews.compactMap { $0 }
        #expect(skews.count == 3)
        #expect(skews.allSatisfy { abs($0 - 2.0 / 3) < 1e-12 }, "one class of three: TV 2/3, got \(skews)")
        let json = stats.json()
        #expect(json["sizes"] == [30, 30, 30])
        #expect(json["classes"] == [0, 1, 2])
        #expect(json["reference_class_counts"] == [30, 30, 30])
        #expect(json["part_index"] == nil)
    }

    @Test func stratifiedIsBarelySkewedAndTheTableShowsEveryPart() throws {
        let labels = (0..<90).map { Double($0 % 3) }
        let plan = try PartitionPlanTests.plan(
            labels, classes: 3,
            PartitionPlanTests.config(
                .stratified, parts: 3,
                seed: 1))
        let stats = PartitionStats(plan: plan, dataset: Self.dataset(labels, classes: 3, names: ["a", "b", "c"]))
        #expect(stats.skew == 0)
        let table = stats.table()
        #expect(table.hasPrefix("stratified · 3 parts · seed 1 · 90 training, 0 held-out samples\n"))
        #expect(table.contains("part  size   a   b   c   skew\n"))
        #expect(table.contains("0       30  10  10  10  0.000\n"))
        #expect(table.contains("all     90  30  30  30\n"))
        #expect(
            table.hasSuffix(
                "skew 0.000 (mean total-variation distance between each part's label mix and the "
                    + "training set's)\n"))
    }

    @Test func regressionStatsHaveSizesOnly() throws {
        let labels = (0..<10).map { Double($0) + 0.5 }
        let plan = try PartitionPlan(
            labels: labels, task: .regression, classes: [],
            config: PartitionPlanTests.config(.random, parts: 3, seed: 1))
        let dataset = Dataset(features: [], width: 0, labels: labels, task: .regression, classes: [])
        let stats = PartitionStats(plan: plan, dataset: dataset)
        #expect(stats.skew == nil)
        #expect(stats.json()["skew"] == nil && stats.json()["sizes"] == [4, 3, 3])
        #expect(stats.table().contains("part  size\n0        4\n"))
    }
}
