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

/// Per-feature mean and spread of the training rows. A constant feature gets spread 1, so it stays put.
struct Standardisation: Sendable, Equatable {
    var means: [Double]
    var scales: [Double]

    init(_ features: [Double], rows: Int, width: Int) {
        var means = [Double](repeating: 0, count: width)
        var squares = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            for f in 0..<width { means[f] += features[row * width + f] }
        }
        for f in 0..<width { means[f] /= Double(max(rows, 1)) }
        for row in 0..<rows {
            for f in 0..<width {
                let d = features[row * width + f] - means[f]
                squares[f] += d * d
            }
        }
        self.means = means
        self.scales = squares.map { sum in
            let spread = (sum / Double(max(rows, 1))).squareRoot()
            return spread > 0 && spread.isFinite ? spread : 1
        }
    }
}

extension LinearRegression {
    /// Trains in standardised space (features and target each centred and scaled by the training rows): the
    /// start (`self`) is mapped in, every batch takes one optimiser step on the mean of ½(ŷ − y)² (scikit-learn's
    /// `squared_error`), and the result is folded back into original units. Scaling the target too makes a
    /// learning rate mean the same for labels in the thousands as for labels near 1, for Adam as for SGD.
    /// Returns each epoch's mean training MSE, in the labels' units.
    mutating func train(
        features: [Double], rows: Int, targets: [Double], settings: NetworkTraining, control: TrainingControl,
        log: Log? = nil
    ) throws -> [Double] {
        let width = weights.count
        let scaling = Standardisation(features, rows: rows, width: width)
        let target = Standardisation(targets, rows: rows, width: 1)
        let yMean = target.means[0]
        let yScale = target.scales[0]
        var z = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows {
            for f in 0..<width {
                z[row * width + f] = (features[row * width + f] - scaling.means[f]) / scaling.scales[f]
            }
        }
        let y = targets.map { ($0 - yMean) / yScale }
        // θ = [w'₁ … w'_F, b'] with (ŷ − μ_y) / s_y = b' + Σ w'_f · (x_f − μ_f) / s_f.
        var theta = [Double](repeating: 0, count: width + 1)
        var offset = bias - yMean
        for f in 0..<width {
            theta[f] = weights[f] * scaling.scales[f] / yScale
            offset += weights[f] * scaling.means[f]
        }
        theta[width] = offset / yScale
        let anchor = theta  // FedProx pulls toward the start, in the space training moves in
        var gradient = [Double](repeating: 0, count: width + 1)
        var optimizer = Optimizer(settings.optimizer, parameterCount: width + 1)
        var random = SeededRandom(seed: settings.shuffleSeed)
        var order = Array(0..<rows)
        let batchSize = min(settings.batchSize, rows)
        var history: [Double] = []

        for epoch in 1...settings.epochs {
            Shuffle.rows(&order, &random)
            var epochLoss = 0.0
            var start = 0
            var batch = 0
            while start < rows {
                try control.check(epoch: epoch, epochs: settings.epochs)
                batch += 1
                let count = min(batchSize, rows - start)
                var loss = 0.0
                z.withUnsafeBufferPointer { z in
                    theta.withUnsafeMutableBufferPointer { theta in
                        gradient.withUnsafeMutableBufferPointer { gradient in
                            let t = theta.baseAddress!
                            let g = gradient.baseAddress!
                            g.update(repeating: 0, count: width + 1)
                            for i in 0..<count {
                                let row = order[start + i]
                                let x = z.baseAddress! + row * width
                                let error = t[width] + Dense.dot(x, t, count: width) - y[row]
                                loss += error * error
                                for f in 0..<width { g[f] += error * x[f] }
                                g[width] += error
                            }
                            let scale = 1 / Double(count)
                            for f in 0...width { g[f] *= scale }
                            if settings.proximalMu > 0 {
                                _ = anchor.withUnsafeBufferPointer { anchor in
                                    Proximal.apply(
                                        mu: settings.proximalMu, parameters: t, anchor: anchor.baseAddress!,
                                        gradient: g, count: width + 1)
                                }
                            }
                            optimizer.step(t, g, count: width + 1)
                        }
                    }
                }
                guard loss.isFinite else {
                    throw TrainError.diverged(epoch: epoch, batch: batch, learningRate: settings.optimizer.learningRate)
                }
                epochLoss += loss
                start += count
            }
            let mean = epochLoss / Double(rows) * yScale * yScale
            history.append(mean)
            log?.debug(
                "epoch", "epoch \(epoch)/\(settings.epochs): training MSE \(mean)",
                ["epoch": .int(epoch), "loss": .double(mean)])
        }
        var folded = yMean + yScale * theta[width]
        for f in 0..<width {
            weights[f] = yScale * theta[f] / scaling.scales[f]
            folded -= weights[f] * scaling.means[f]
        }
        bias = folded
        guard weights.allSatisfy(\.isFinite), bias.isFinite else {
            throw TrainError.diverged(epoch: settings.epochs, batch: 0, learningRate: settings.optimizer.learningRate)
        }
        return history
    }
}
