import Foundation
import Testing

@testable import Shared
@testable import prty_partition

/// non_iid: real Dirichlet(alpha) proportions (lower alpha, more skew), Flower's self-balancing rule, and
/// resampling until every part has min_samples rows — at most 10 draws, then an error.
struct DirichletTests {
    typealias Plans = PartitionPlanTests

    /// Mean total-variation distance between the parts' label mix and the whole set's, averaged over seeds.
    static func meanSkew(alpha: Double, seeds: Range<UInt64>, selfBalancing: Bool = false) throws -> Double {
        let labels = Plans.labels(2000, classes: 10, seed: 1)
        var total = 0.0
        for seed in seeds {
            var config = Plans.config(.nonIID, parts: 8, seed: seed, alpha: alpha)
            config.selfBalancing = selfBalancing
            let plan = try Plans.plan(labels, classes: 10, config)
            let dataset = Dataset(
                features: [], width: 0, labels: labels, task: .classification,
                classes: (0..<10).map(Double.init))
            total += try #require(PartitionStats(plan: plan, dataset: dataset).skew)
        }
        return total / Double(seeds.count)
    }

    @Test func lowerAlphaGivesMeasurablyMoreSkew() throws {
        let alphas = [0.05, 0.2, 1, 5, 100]
        let skews = try alphas.map { try Self.meanSkew(alpha: $0, seeds: 0..<20) }
        for (lower, higher) in zip(skews, skews.dropFirst()) {
            #expect(lower > higher + 0.02, "skews by alpha \(alphas): \(skews)")
        }
        #expect(skews.first! > 0.6, "alpha 0.05 gives nearly one class per part")
        #expect(skews.last! < 0.1, "alpha 100 gives nearly the global mix")
    }

    /// The original drew Exp(1)/alpha, so alpha cancelled and every alpha gave Dirichlet(1): a regression test.
    @Test func alphaDoesNotCancelOut() throws {
        let low = try Self.meanSkew(alpha: 0.1, seeds: 0..<10)
        let one = try Self.meanSkew(alpha: 1, seeds: 0..<10)
        #expect(low > one * 1.3, "alpha 0.1: \(low), alpha 1: \(one)")
    }

    /// Flower: while classes are dealt in order, a part already holding more than N/P rows gets nothing more.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func selfBalancingStopsFillingPartsAboveTheAverage(seed: UInt64) throws {
        let labels = Plans.labels(1000, classes: 10, seed: seed)
        var config = Plans.config(.nonIID, parts: 5, seed: seed, alpha: 0.3)
        config.selfBalancing = true
        let plan = try Plans.plan(labels, classes: 10, config)
        let average = 1000.0 / 5
        for (part, counts) in plan.classCounts.enumerated() {
            var held = 0
            for (klass, count) in counts.enumerated() {
                if Double(held) > average { #expect(count == 0, "part \(part) got class \(klass) above the average") }
                held += count
            }
        }
    }

    @Test func selfBalancingEvensOutSizes() throws {
        let labels = Plans.labels(3000, classes: 10, seed: 2)
        func spread(_ balancing: Bool) throws -> Double {
            var total = 0.0
            for seed in UInt64(0)..<20 {
                var config = Plans.config(.nonIID, parts: 6, seed: seed, alpha: 0.3)
                config.selfBalancing = balancing
                let sizes = try Plans.plan(labels, classes: 10, config).ownSizes.map { Double($0) }
                let mean = sizes.reduce(0, +) / Double(sizes.count)
                total += (sizes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(sizes.count)).squareRoot()
            }
            return total / 20
        }
        let with = try spread(true)
        let without = try spread(false)
        #expect(with < without * 0.9, "size spread with self-balancing \(with), without \(without)")
    }

    @Test func resamplesUntilEveryPartHasMinSamples() throws {
        let labels = Plans.labels(400, classes: 4, seed: 3)
        var resampled = 0
        for seed in UInt64(0)..<40 {
            let config = Plans.config(.nonIID, parts: 4, seed: seed, alpha: 0.5, minSamples: 40)
            do {
                let plan = try Plans.plan(labels, classes: 4, config)
                #expect(plan.allOwn.allSatisfy { $0.count >= 40 })
                #expect((1...10).contains(plan.draws ?? 0))
                if (plan.draws ?? 0) > 1 { resampled += 1 }
            } catch let error as PartitionError {
                guard case .dirichletDrawsExhausted(_, _, let draws, _) = error else { throw error }
                #expect(draws == 10)
            }
        }
        #expect(resampled > 0, "some seed needed a second draw")
    }

    @Test func givesUpAfterTenDraws() throws {
        let labels = Plans.labels(200, classes: 2, seed: 3)
        let config = Plans.config(.nonIID, parts: 4, seed: 1, alpha: 0.01, minSamples: 45)
        #expect(throws: PartitionError.self) { try Plans.plan(labels, classes: 2, config) }
        do {
            _ = try Plans.plan(labels, classes: 2, config)
        } catch let error as PartitionError {
            #expect(error.exitStatus == .usage)
            #expect(
                error.description.hasPrefix(
                    "no Dirichlet(alpha=0.01) draw gave every part at least min_samples 45 "
                        + "samples in 10 draws"))
        }
    }

    @Test func aSplitPointIsTheFloorOfTheCumulativeShare() throws {
        // Two parts, one class of 10 rows: the cut is ⌊p₀·10⌋, as numpy's astype(int) truncates.
        var random = SeededRandom(seed: 5)
        let result = try Dirichlet.counts(
            [10], parts: 2, alpha: 1, minSamples: 0, selfBalancing: false,
            using: &random)
        var replay = SeededRandom(seed: 5)
        let p = Dirichlet.sample(alpha: 1, count: 2, using: &replay)
        let cut = Int(p[0] * 10)
        #expect(result.counts == [[cut, 10 - cut]])
        #expect(result.draws == 1)
    }
}
