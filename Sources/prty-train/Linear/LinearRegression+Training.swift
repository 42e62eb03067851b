import Shared

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
        let z = scaling.apply(features, rows: rows)
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
        let history = try MiniBatchLoop.run(
            rows: rows, settings: settings, control: control, log: log, loss: .sum, lossName: "training MSE",
            unit: { $0 * yScale * yScale }
        ) { batch in
            var loss = 0.0
            z.withUnsafeBufferPointer { z in
                theta.withUnsafeMutableBufferPointer { theta in
                    gradient.withUnsafeMutableBufferPointer { gradient in
                        let t = theta.baseAddress!
                        let g = gradient.baseAddress!
                        g.update(repeating: 0, count: width + 1)
                        for row in batch {
                            let x = z.baseAddress! + row * width
                            let error = t[width] + Dense.dot(x, t, count: width) - y[row]
                            loss += error * error
                            for f in 0..<width { g[f] += error * x[f] }
                            g[width] += error
                        }
                        let scale = 1 / Double(batch.count)
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
            return loss
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
