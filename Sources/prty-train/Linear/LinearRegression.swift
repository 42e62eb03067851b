import Shared

/// Linear regression ŷ = w·x + b, trained by mini-batch SGD (or Adam) on standardised features. The
/// standardisation is internal: `weights` and `bias` are always in the original feature units, so
/// participants with different local means and spreads still average meaningfully (docs/federated-learning.md §4.2).
struct LinearRegression: Sendable, Equatable {
    var weights: [Double]
    var bias: Double

    /// Every participant starts from zeros: the seed's initialisation is the same everywhere without any seed.
    static func initial(inputs: Int) -> LinearRegression {
        LinearRegression(weights: [Double](repeating: 0, count: inputs), bias: 0)
    }

    /// From a weight map: exactly `weights` [F] and `bias` [1].
    init(weights map: [String: [Double]], inputs: Int, source: String) throws(TrainError) {
        guard let weights = map["weights"], let bias = map["bias"] else {
            throw TrainError.config(
                "\(source) needs 'weights' and 'bias' tensors for a linear regression "
                    + "(it holds: \(map.keys.sorted().joined(separator: ", ")))")
        }
        guard weights.count == inputs else {
            throw TrainError.data("\(source) has \(weights.count) weights but the dataset has \(inputs) features")
        }
        guard bias.count == 1 else { throw TrainError.config("\(source) 'bias' must hold 1 value, not \(bias.count)") }
        if let extra = map.keys.sorted().first(where: { $0 != "weights" && $0 != "bias" }) {
            throw TrainError.config("\(source) has a tensor '\(extra)' that a linear regression does not have")
        }
        self.init(weights: weights, bias: bias[0])
    }

    init(weights: [Double], bias: Double) {
        self.weights = weights
        self.bias = bias
    }

    func weightMap() -> [String: [Double]] { ["weights": weights, "bias": [bias]] }

    func predict(_ features: [Double], rows: Int) -> [Double] {
        let width = weights.count
        var result = [Double](repeating: bias, count: rows)
        features.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                for row in 0..<rows {
                    result[row] += Dense.dot(x.baseAddress! + row * width, w.baseAddress!, count: width)
                }
            }
        }
        return result
    }

    func evaluate(_ features: [Double], rows: Int, targets: [Double]) -> Metrics {
        Metrics.regression(predictions: predict(features, rows: rows), targets: targets)
    }
}
