import Foundation
import Testing

@testable import Shared
@testable import prty_partition

/// The Gamma sampler against its known moments: mean = variance = shape (scale 1).
struct GammaTests {
    @Test(arguments: [0.05, 0.3, 1.0, 2.5, 10.0])
    func meanAndVarianceMatchTheShape(shape: Double) {
        var random = SeededRandom(seed: 2024)
        let n = 200_000
        var sum = 0.0
        var sumSquares = 0.0
        for _ in 0..<n {
            let x = Gamma.sample(shape: shape, using: &random)
            #expect(x >= 0 && x.isFinite)
            sum += x
            sumSquares += x * x
        }
        let mean = sum / Double(n)
        let variance = sumSquares / Double(n) - mean * mean
        // Five standard errors: SE(mean) = √(a/n); SE(variance) ≈ a·√((2 + 6/a)/n) (excess kurtosis 6/a).
        #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot(), "mean \(mean) for shape \(shape)")
        #expect(
            abs(variance - shape) < 5 * shape * ((2 + 6 / shape) / Double(n)).squareRoot(),
            "variance \(variance) for shape \(shape)")
    }

    @Test func tinyShapesStayFiniteInLogSpace() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<10_000 {
            let value = Gamma.logSample(shape: 0.001, using: &random)
            #expect(value.isFinite)
        }
    }

    @Test func drawsAreDeterministic() {
        var a = SeededRandom(seed: 77)
        var b = SeededRandom(seed: 77)
        let first = (0..<50).map { _ in Gamma.sample(shape: 0.7, using: &a) }
        let second = (0..<50).map { _ in Gamma.sample(shape: 0.7, using: &b) }
        #expect(first == second)
    }

    /// Dirichlet(alpha) components have mean 1/K and variance (1/K)(1 − 1/K)/(Kα + 1).
    @Test(arguments: [0.1, 1.0, 5.0])
    func dirichletMoments(alpha: Double) {
        var random = SeededRandom(seed: 9)
        let k = 4
        let n = 50_000
        var sum = [Double](repeating: 0, count: k)
        var sumSquares = [Double](repeating: 0, count: k)
        for _ in 0..<n {
            let p = Dirichlet.sample(alpha: alpha, count: k, using: &random)
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            #expect(p.allSatisfy { $0 >= 0 })
            for j in 0..<k {
                sum[j] += p[j]
                sumSquares[j] += p[j] * p[j]
            }
        }
        let expectedVariance = 0.25 * 0.75 / (Double(k) * alpha + 1)
        for j in 0..<k {
            let mean = sum[j] / Double(n)
            let variance = sumSquares[j] / Double(n) - mean * mean
            #expect(abs(mean - 0.25) < 5 * (expectedVariance / Double(n)).squareRoot())
            #expect(abs(variance - expectedVariance) < 0.05 * expectedVariance, "variance \(variance)")
        }
    }
}

struct ShuffleRowsTests {
    @Test(arguments: [0, 1, 2, 3, 10, 1000])
    func aPermutationAndDeterministic(count: Int) {
        var a = SeededRandom(seed: UInt64(count) + 3)
        var b = SeededRandom(seed: UInt64(count) + 3)
        var rows = Array(0..<count)
        var again = Array(0..<count)
        a.shuffle(&rows)
        b.shuffle(&again)
        #expect(rows == again)
        #expect(rows.sorted() == Array(0..<count))
        if count >= 10 { #expect(rows != Array(0..<count)) }
    }

    /// Forward Fisher–Yates: stopping after k steps gives the first k elements of the full shuffle, which is how
    /// overlap reads a neighbour's first rows without ordering all of them.
    @Test(arguments: [0, 1, 5, 99, 100])
    func aPrefixIsThePrefixOfTheFullShuffle(prefix: Int) {
        var full = SeededRandom(seed: 8)
        var partial = SeededRandom(seed: 8)
        var rows = Array(0..<100)
        var some = Array(0..<100)
        full.shuffle(&rows)
        partial.shuffle(&some, prefix: prefix)
        #expect(some.prefix(prefix) == rows.prefix(prefix))
    }

    /// Every position equally likely: each of 4 elements lands in each of 4 places about 1/4 of the time.
    @Test func uniform() {
        var random = SeededRandom(seed: 1)
        var seen = [[Int]](repeating: [0, 0, 0, 0], count: 4)
        for _ in 0..<40_000 {
            var rows = [0, 1, 2, 3]
            random.shuffle(&rows)
            for (place, row) in rows.enumerated() { seen[row][place] += 1 }
        }
        #expect(seen.allSatisfy { $0.allSatisfy { abs($0 - 10_000) < 400 } }, "\(seen)")
    }
}
