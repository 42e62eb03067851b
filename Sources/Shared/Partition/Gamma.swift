import Foundation

/// Gamma(shape, 1) draws by Marsaglia & Tsang, "A Simple Method for Generating Gamma Variables" (ACM TOMS 26(3),
/// 2000): a squeeze-accepted transform of one normal draw. For shape < 1 the paper's boost applies:
/// Gamma(a) = Gamma(a + 1) · U^(1/a). The original runner drew Exp(1)/alpha instead, so alpha cancelled out when
/// normalised (docs/federated-learning.md §3); these draws are what makes Dirichlet(alpha) depend on alpha.
enum Gamma {
    /// One draw from Gamma(shape, scale 1). `shape` must be positive and finite.
    static func sample(shape: Double, using random: inout SeededRandom) -> Double {
        exp(logSample(shape: shape, using: &random))
    }

    /// The logarithm of one Gamma(shape, 1) draw. Small shapes (alpha = 0.01) give values such as 1e-300 and below,
    /// which underflow to 0 as Doubles; their logarithms stay finite, so a Dirichlet normalised in log space never
    /// divides 0 by 0.
    static func logSample(shape: Double, using random: inout SeededRandom) -> Double {
        precondition(shape > 0 && shape.isFinite, "the Gamma shape must be positive and finite")
        if shape < 1 {
            var u = random.nextUnit()
            while u == 0 { u = random.nextUnit() }
            return log(marsagliaTsang(shape: shape + 1, using: &random)) + log(u) / shape
        }
        return log(marsagliaTsang(shape: shape, using: &random))
    }

    /// Marsaglia–Tsang for shape ≥ 1: d = a − 1/3, c = 1/√(9d); accept d·v³ for v = (1 + c·x)³, x ~ N(0, 1).
    private static func marsagliaTsang(shape: Double, using random: inout SeededRandom) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = random.nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = random.nextUnit()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }  // the squeeze: most draws stop here, without a log
            if u > 0, log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
        }
    }
}
