import Shared

/// Per-feature mean and spread of the training rows. A constant feature gets spread 1, so it stays put.
struct Standardisation: Sendable, Equatable {
    var means: [Double]
    var scales: [Double]

    init(_ features: [Double], rows: Int, width: Int) {
        self.init(features, rows: rows, width: width, unit: Self.units(features, rows: rows, width: width))
    }

    /// The moments with the scaling `units` chose, for a caller that needs those units again.
    private init(_ features: [Double], rows: Int, width: Int, unit: (down: [Double], up: [Double])) {
        var means = [Double](repeating: 0, count: width)
        var squares = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            for f in 0..<width { means[f] += features[row * width + f] * unit.down[f] }
        }
        for f in 0..<width { means[f] /= Double(max(rows, 1)) }
        for row in 0..<rows {
            for f in 0..<width {
                let d = features[row * width + f] * unit.down[f] - means[f]
                squares[f] += d * d
            }
        }
        self.means = (0..<width).map { means[$0] * unit.up[$0] }
        self.scales = (0..<width).map { f in
            let spread = (squares[f] / Double(max(rows, 1))).squareRoot() * unit.up[f]
            return spread > 0 && spread.isFinite ? spread : 1
        }
    }

    /// Per feature, a power of two to divide the values by before summing them (`down`) and its inverse to
    /// multiply the moments back by (`up`): 1 for every feature whose largest magnitude is below 2^500, so
    /// ordinary data gets exactly the same bits, and about that magnitude above it, where a sum of values or of
    /// squares near Double's limit would overflow to infinity and turn every standardised value into NaN.
    /// Powers of two scale without rounding.
    static func units(_ features: [Double], rows: Int, width: Int) -> (down: [Double], up: [Double]) {
        var down = [Double](repeating: 1, count: width)
        var up = [Double](repeating: 1, count: width)
        for f in 0..<width {
            var largest = 0.0
            for row in 0..<rows {
                let x = abs(features[row * width + f])
                if x.isFinite, x > largest { largest = x }
            }
            guard largest > 0x1p500 else { continue }
            let exponent = Int(largest.exponent)
            down[f] = Double(sign: .plus, exponent: -exponent, significand: 1)
            up[f] = Double(sign: .plus, exponent: exponent, significand: 1)
        }
        return (down, up)
    }
}

extension Standardisation {
    /// A network's scaling: the training rows' mean and spread, with the spread at least a tenth of the
    /// feature's range. A feature that is nearly constant on one participant (a pixel that is almost always
    /// blank in its part) would otherwise get a tiny spread, and folding it back would give that participant
    /// first-layer weights orders of magnitude larger than everyone else's, which then dominate FedAvg.
    ///
    /// With `classIndex` (each row's class) and `classCounts` (the whole session's rows per class, from the
    /// partition's class counts), the mean and spread are those the session's class mix would give: the local
    /// per-class means and second moments weighted by the session's class shares instead of the local ones. Under
    /// label skew local means differ from participant to participant (the features say which class a row is),
    /// and so would every participant's round-1 start in original units; re-weighted, every participant
    /// estimates nearly the same statistics, so the starts nearly agree and FedAvg averages like with like.
    static func network(
        _ features: [Double], rows: Int, width: Int, classIndex: [Int]? = nil, classCounts: [Int]? = nil
    ) -> Standardisation {
        let unit = units(features, rows: rows, width: width)
        var scaling = Standardisation(features, rows: rows, width: width, unit: unit)
        guard rows > 0 else { return scaling }
        if let classIndex, let classCounts, classIndex.count == rows, !classCounts.isEmpty,
            classIndex.allSatisfy({ $0 >= 0 && $0 < classCounts.count })
        {
            let k = classCounts.count
            var n = [Double](repeating: 0, count: k)
            var sums = [Double](repeating: 0, count: k * width)
            var squares = [Double](repeating: 0, count: k * width)
            for row in 0..<rows {
                let c = classIndex[row]
                n[c] += 1
                for f in 0..<width {
                    let x = features[row * width + f] * unit.down[f]
                    sums[c * width + f] += x
                    squares[c * width + f] += x * x
                }
            }
            var weights = (0..<k).map { n[$0] > 0 ? Double(classCounts[$0]) : 0 }
            let total = weights.reduce(0, +)
            if total > 0 {
                weights = weights.map { $0 / total }
                for f in 0..<width {
                    var mean = 0.0
                    var second = 0.0
                    for c in 0..<k where n[c] > 0 {
                        mean += weights[c] * sums[c * width + f] / n[c]
                        second += weights[c] * squares[c * width + f] / n[c]
                    }
                    let spread = max(0, second - mean * mean).squareRoot() * unit.up[f]
                    scaling.means[f] = mean * unit.up[f]
                    scaling.scales[f] = spread > 0 && spread.isFinite ? spread : 1
                }
            }
        }
        for f in 0..<width {
            var low = features[f]
            var high = features[f]
            for row in 1..<rows {
                let x = features[row * width + f]
                low = min(low, x)
                high = max(high, x)
            }
            let floor = (high - low) / 10
            if floor.isFinite, floor > scaling.scales[f] { scaling.scales[f] = floor }
        }
        return scaling
    }

    /// The session's training rows per class, summed over every part's `class_counts` in the Dataset's
    /// `partition` object (prty-partition writes them); nil for a dataset without one.
    static func sessionClassCounts(_ dataset: Dataset) -> [Int]? {
        guard let parts = dataset.partition?["class_counts"]?.arrayValue, !parts.isEmpty else { return nil }
        var totals = [Int](repeating: 0, count: dataset.classes.count)
        for part in parts {
            guard let counts = part.arrayValue, counts.count == totals.count else { return nil }
            for (c, value) in counts.enumerated() {
                guard let count = value.intValue, count >= 0 else { return nil }
                totals[c] += count
            }
        }
        return totals.reduce(0, +) > 0 ? totals : nil
    }

    /// The standardised copy of `rows` rows of `features` (row-major, `means.count` wide).
    func apply(_ features: [Double], rows: Int) -> [Double] {
        let width = means.count
        var z = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows {
            for f in 0..<width { z[row * width + f] = (features[row * width + f] - means[f]) / scales[f] }
        }
        return z
    }

    /// What `metadata.input_scaling` records: how the features were scaled and where the scaling went, not the
    /// local means and spreads themselves (they describe the participant's data).
    static let metadata: JSON = [
        "method": "standardise", "statistics": "local training rows (mean, population standard deviation)",
        "folded_into": "layer_0_weights, layer_0_bias",
    ]
}
