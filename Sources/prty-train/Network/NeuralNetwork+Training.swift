import Foundation
import Shared

extension NeuralNetwork {
    /// Mini-batch training: each epoch visits the rows in a fresh order drawn from `settings.shuffleSeed`,
    /// takes one optimiser step per batch (the last batch may be short), and polls `control` between batches.
    /// Returns each epoch's mean training loss (averaged over the batches as they were trained).
    mutating func train(
        features: [Double], rows: Int, targets: Targets, settings: NetworkTraining, control: TrainingControl,
        log: Log? = nil
    ) throws -> [Double] {
        let shape = self.shape
        let batchSize = min(settings.batchSize, rows)
        let buffers = LayerBuffers(shape: shape, rows: batchSize)
        var gradient = [Double](repeating: 0, count: shape.parameterCount)
        var optimizer = Optimizer(settings.optimizer, parameterCount: shape.parameterCount)
        let mu = settings.proximalMu
        let anchor = parameters
        let history = try MiniBatchLoop.run(
            rows: rows, settings: settings, control: control, log: log, loss: .mean, lossName: "training loss"
        ) { batch in
            parameters.withUnsafeMutableBufferPointer { parameters in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    let p = parameters.baseAddress!
                    let g = gradient.baseAddress!
                    var loss = Self.batchGradient(
                        shape, UnsafePointer(p), into: g, buffers, features: features, rows: batch, targets: targets)
                    if mu > 0, loss.isFinite {
                        loss += anchor.withUnsafeBufferPointer { anchor in
                            Proximal.apply(
                                mu: mu, parameters: p, anchor: anchor.baseAddress!, gradient: g,
                                count: shape.parameterCount)
                        }
                    }
                    if loss.isFinite { optimizer.step(p, g, count: shape.parameterCount) }
                    return loss
                }
            }
        }
        guard parameters.allSatisfy(\.isFinite) else {
            throw TrainError.diverged(epoch: settings.epochs, batch: 0, learningRate: settings.optimizer.learningRate)
        }
        return history
    }

    /// The loss on `rows` (row indices into `features` and `targets`), averaged over them, and its gradient
    /// with respect to every parameter, written into `g` (same layout as the parameters). One forward and one
    /// backward pass through `buffers`, which must hold at least `rows.count` rows.
    static func batchGradient(
        _ shape: NetworkShape, _ p: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>,
        _ buffers: LayerBuffers, features: [Double], rows: UnsafeBufferPointer<Int>, targets: Targets
    ) -> Double {
        let count = rows.count
        let width = shape.inputs
        let outputs = shape.outputs
        let last = shape.layerCount
        features.withUnsafeBufferPointer { features in
            let x = buffers.activations[0]
            for i in 0..<count {
                (x + i * width).update(from: features.baseAddress! + rows[i] * width, count: width)
            }
        }
        forward(shape, p, buffers, rows: count)
        // The loss and the delta at the output, both averaged over the batch.
        let out = buffers.activations[last]
        let delta = buffers.deltas[last]
        var loss = 0.0
        let scale = 1 / Double(count)
        switch targets {
        case .classes(let classIndices):
            softmax(out, rows: count, classes: outputs)
            for i in 0..<count {
                let target = classIndices[rows[i]]
                let probabilities = out + i * outputs
                let d = delta + i * outputs
                loss -= Foundation.log(max(probabilities[target], Metrics.probabilityFloor))
                for k in 0..<outputs { d[k] = probabilities[k] * scale }
                d[target] -= scale
            }
        case .values(let values):
            let meanScale = 2 * scale / Double(outputs)
            for i in 0..<count {
                let target = values[rows[i]]
                for k in 0..<outputs {
                    let error = out[i * outputs + k] - target
                    loss += error * error
                    delta[i * outputs + k] = error * meanScale
                }
            }
            loss /= Double(outputs)
        }
        loss *= scale
        guard loss.isFinite else { return loss }
        // Backward: gradients of every layer, top down.
        g.update(repeating: 0, count: shape.parameterCount)
        for l in stride(from: last - 1, through: 0, by: -1) {
            let k = shape.sizes[l]
            let n = shape.sizes[l + 1]
            Dense.accumulateGradients(
                buffers.activations[l], rows: count, inputs: k, delta: buffers.deltas[l + 1], outputs: n,
                weightGradient: g + shape.weightOffset(l), biasGradient: g + shape.biasOffset(l),
                scratch: buffers.scratch)
            if l > 0 {
                Dense.backPropagate(
                    buffers.deltas[l + 1], rows: count, outputs: n, weights: p + shape.weightOffset(l),
                    activation: buffers.activations[l], inputs: k, into: buffers.deltas[l],
                    scratch: buffers.scratch)
            }
        }
        return loss
    }

    /// The mean loss over all `rows` rows and its gradient: what one full-batch step would use (for checks),
    /// with FedProx's term toward `proximal.anchor` when given.
    func lossAndGradient(
        features: [Double], rows: Int, targets: Targets, proximal: (mu: Double, anchor: [Double])? = nil
    ) -> (loss: Double, gradient: [Double]) {
        let buffers = LayerBuffers(shape: shape, rows: rows)
        var gradient = [Double](repeating: 0, count: shape.parameterCount)
        let order = Array(0..<rows)
        let loss = parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                var loss = order.withUnsafeBufferPointer { order in
                    Self.batchGradient(
                        shape, p.baseAddress!, into: g.baseAddress!, buffers, features: features,
                        rows: order, targets: targets)
                }
                if let proximal, proximal.anchor.count == shape.parameterCount {
                    loss += proximal.anchor.withUnsafeBufferPointer { anchor in
                        Proximal.apply(
                            mu: proximal.mu, parameters: p.baseAddress!, anchor: anchor.baseAddress!,
                            gradient: g.baseAddress!, count: shape.parameterCount)
                    }
                }
                return loss
            }
        }
        return (loss, gradient)
    }
}
