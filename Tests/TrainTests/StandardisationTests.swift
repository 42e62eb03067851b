import Testing
@testable import prty_train

struct StandardisationTests {
    /// Values near Double's limit: the sums of values and of squares would overflow to infinity, and every
    /// standardised value would be NaN. The moments are taken on values scaled by a power of two instead.
    @Test func valuesNearTheLimitGiveFiniteMomentsAndValues() {
        let features: [Double] = [1e308, 1e308, -1e308, 1e308, 1e308, -1e308]
        for scaling in [
            Standardisation(features, rows: 3, width: 2),
            Standardisation.network(features, rows: 3, width: 2),
            Standardisation.network(features, rows: 3, width: 2, classIndex: [0, 1, 0], classCounts: [5, 5]),
        ] {
            let finiteMeans = scaling.means.allSatisfy { $0.isFinite }
            let usableScales = scaling.scales.allSatisfy { $0.isFinite && $0 > 0 }
            let finiteValues = scaling.apply(features, rows: 3).allSatisfy { $0.isFinite }
            #expect(finiteMeans)
            #expect(usableScales)
            #expect(finiteValues)
        }
        let plain = Standardisation(features, rows: 3, width: 2)
        #expect(abs(plain.means[0] - 1e308 / 3) < 1e294)
    }

    /// Ordinary magnitudes are not rescaled at all: the moments are the plain sums' bits.
    @Test func ordinaryValuesKeepThePlainMoments() {
        let features: [Double] = [0.1, 3, 0.7, -2, 1e10, 5]
        let scaling = Standardisation(features, rows: 3, width: 2)
        let mean0 = (0.1 + 0.7 + 1e10) / 3
        #expect(scaling.means[0] == mean0)
        let squares = [0.1, 0.7, 1e10].reduce(0.0) { $0 + ($1 - mean0) * ($1 - mean0) }
        #expect(scaling.scales[0] == (squares / 3).squareRoot())
    }
}
