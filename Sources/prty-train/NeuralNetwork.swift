import Foundation
import Shared

/// A multi-layer perceptron's layer sizes and task, and where each tensor sits in the flat parameter vector:
/// layer `l` (0-based, input side first) stores its weights row-major `[inputs][outputs]`, then its bias.
struct NetworkShape: Sendable, Equatable, CustomStringConvertible {
    /// `[inputs, hidden…, outputs]`.
    let sizes: [Int]
    /// Classification: softmax outputs, one per class, cross-entropy loss. Regression: one linear output, MSE.
    let task: Dataset.Task

    init(inputs: Int, hidden: [Int], outputs: Int, task: Dataset.Task) {
        sizes = [inputs] + hidden + [outputs]
        self.task = task
    }

    var inputs: Int { sizes[0] }
    var outputs: Int { sizes[sizes.count - 1] }
    var hidden: [Int] { Array(sizes.dropFirst().dropLast()) }
    var layerCount: Int { sizes.count - 1 }

    /// Offset of layer `l`'s weights in the parameter vector; its bias follows them.
    func weightOffset(_ layer: Int) -> Int {
        var offset = 0
        for l in 0..<layer { offset += sizes[l] * sizes[l + 1] + sizes[l + 1] }
        return offset
    }
    func biasOffset(_ layer: Int) -> Int { weightOffset(layer) + sizes[layer] * sizes[layer + 1] }

    /// Every weight and bias; `nil` when the count would overflow (a hostile config).
    static func parameterCount(sizes: [Int]) -> Int? {
        var total = 0
        for l in 0..<(sizes.count - 1) {
            let (product, overflow) = sizes[l].multipliedReportingOverflow(by: sizes[l + 1])
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product &+ sizes[l + 1])
            guard !overflow2 else { return nil }
            total = sum
        }
        return total
    }
    var parameterCount: Int { Self.parameterCount(sizes: sizes) ?? 0 }

    /// The document's tensor names (docs/formats.md §5): `layer_0_weights`, `layer_0_bias`, … with offsets and
    /// lengths.
    var tensors: [(name: String, offset: Int, count: Int)] {
        var result: [(name: String, offset: Int, count: Int)] = []
        for l in 0..<layerCount {
            result.append((name: "layer_\(l)_weights", offset: weightOffset(l), count: sizes[l] * sizes[l + 1]))
            result.append((name: "layer_\(l)_bias", offset: biasOffset(l), count: sizes[l + 1]))
        }
        return result
    }

    /// `20-128-3`.
    var description: String { sizes.map(String.init).joined(separator: "-") }

    /// `metadata.architecture`.
    var architecture: JSON {
        [
            "inputs": .int(inputs), "hidden_sizes": .ints(hidden), "outputs": .int(outputs), "activation": "relu",
            "task": .string(task.rawValue),
        ]
    }
}

/// A multi-layer perceptron: ReLU hidden layers, then softmax (classification) or one linear output
/// (regression). All parameters live in one flat vector in `shape`'s layout.
struct NeuralNetwork: Sendable, Equatable {
    let shape: NetworkShape
    var parameters: [Double]

    init(shape: NetworkShape, parameters: [Double]) {
        precondition(parameters.count == shape.parameterCount, "parameters must match the shape")
        self.shape = shape
        self.parameters = parameters
    }

    /// The starting point every participant derives from the session seed alone, so round-1 deltas are
    /// comparable: He (Kaiming) uniform initialisation as `torch.nn.Linear` does it by default
    /// (`kaiming_uniform_` with a = √5), i.e. weights and biases drawn from U(−1/√fan-in, 1/√fan-in). Using
    /// PyTorch's scale means a learning rate and epoch count tuned there carry over. Draws go layer by layer,
    /// weights row-major, then that layer's biases.
    static func initial(_ shape: NetworkShape, seed: UInt64) -> NeuralNetwork {
        var random = SeededRandom(seed: seed).derived(Streams.initialisation)
        var parameters = [Double](repeating: 0, count: shape.parameterCount)
        for l in 0..<shape.layerCount {
            let bound = 1 / Double(shape.sizes[l]).squareRoot()
            let start = shape.weightOffset(l)
            let count = shape.sizes[l] * shape.sizes[l + 1] + shape.sizes[l + 1]  // weights, then biases
            for index in start..<start + count { parameters[index] = (random.nextUnit() * 2 - 1) * bound }
        }
        return NeuralNetwork(shape: shape, parameters: parameters)
    }

    /// From a weight map (a global model, a saved update): every tensor `shape` needs, with its exact length,
    /// and nothing else. `source` names the document in errors.
    init(shape: NetworkShape, weights: [String: [Double]], source: String) throws(TrainError) {
        var parameters = [Double](repeating: 0, count: shape.parameterCount)
        let tensors = shape.tensors
        for (name, offset, count) in tensors {
            guard let values = weights[name] else {
                throw TrainError.config(
                    "\(source) has no '\(name)' tensor, which a \(shape) network needs "
                        + "(it holds: \(weights.keys.sorted().joined(separator: ", ")))")
            }
            guard values.count == count else {
                throw TrainError.config(
                    "\(source) '\(name)' has \(values.count) values; a \(shape) network "
                        + "needs \(count)")
            }
            parameters.replaceSubrange(offset..<offset + count, with: values)
        }
        let known = Set(tensors.map(\.name))
        if let extra = weights.keys.sorted().first(where: { !known.contains($0) }) {
            throw TrainError.config("\(source) has a tensor '\(extra)' that a \(shape) network does not have")
        }
        self.init(shape: shape, parameters: parameters)
    }

    /// Infers the shape from a weight map's tensor lengths (`layer_l_bias` gives each layer's width,
    /// `layer_0_weights` the inputs), for a model document that carries no architecture.
    static func inferShape(from weights: [String: [Double]], task: Dataset.Task) -> NetworkShape? {
        var widths: [Int] = []
        while let bias = weights["layer_\(widths.count)_bias"] { widths.append(bias.count) }
        guard let first = widths.first, first > 0, let inputs = weights["layer_0_weights"]?.count,
            inputs % first == 0, inputs > 0
        else { return nil }
        return NetworkShape(
            inputs: inputs / first, hidden: Array(widths.dropLast()), outputs: widths.last!,
            task: task)
    }

    /// name → flat values, as the model update carries them.
    func weights() -> [String: [Double]] {
        var map: [String: [Double]] = [:]
        for (name, offset, count) in shape.tensors { map[name] = Array(parameters[offset..<offset + count]) }
        return map
    }

    /// The network's outputs for `rows` rows of `features` (row-major, `shape.inputs` wide): class
    /// probabilities (rows × classes) for classification, one value per row for regression.
    func outputs(_ features: [Double], rows: Int) -> [Double] {
        let block = 256
        var result = [Double](repeating: 0, count: rows * shape.outputs)
        let buffers = LayerBuffers(shape: shape, rows: min(block, max(rows, 1)))
        parameters.withUnsafeBufferPointer { parameters in
            features.withUnsafeBufferPointer { features in
                result.withUnsafeMutableBufferPointer { result in
                    var start = 0
                    while start < rows {
                        let count = min(block, rows - start)
                        buffers.activations[0].update(
                            from: features.baseAddress! + start * shape.inputs,
                            count: count * shape.inputs)
                        Self.forward(shape, parameters.baseAddress!, buffers, rows: count)
                        let out = buffers.activations[shape.layerCount]
                        if shape.task == .classification { Self.softmax(out, rows: count, classes: shape.outputs) }
                        (result.baseAddress! + start * shape.outputs).update(from: out, count: count * shape.outputs)
                        start += count
                    }
                }
            }
        }
        return result
    }

    /// Loss and accuracy (R² for regression) on `data`; `targets` are class indices for classification.
    func evaluate(_ features: [Double], rows: Int, targets: Targets) -> Metrics {
        let out = outputs(features, rows: rows)
        switch targets {
        case .classes(let indices):
            return Metrics.classification(probabilities: out, classCount: shape.outputs, targets: indices)
        case .values(let values):
            return Metrics.regression(predictions: out, targets: values)
        }
    }

    /// What a network learns from: class indices (classification) or values (regression).
    enum Targets: Sendable {
        case classes([Int])
        case values([Double])
    }

    /// Runs the layers over `rows` rows already in `buffers.activations[0]`.
    fileprivate static func forward(
        _ shape: NetworkShape, _ parameters: UnsafePointer<Double>, _ buffers: LayerBuffers, rows: Int
    ) {
        for l in 0..<shape.layerCount {
            let k = shape.sizes[l]
            let n = shape.sizes[l + 1]
            Dense.forward(
                buffers.activations[l], rows: rows, inputs: k,
                weights: parameters + shape.weightOffset(l), bias: parameters + shape.biasOffset(l),
                outputs: n, into: buffers.activations[l + 1], scratch: buffers.scratch)
            if l < shape.layerCount - 1 { Dense.relu(buffers.activations[l + 1], count: rows * n) }
        }
    }

    /// Row-wise softmax in place, shifted by the row maximum so `exp` cannot overflow.
    fileprivate static func softmax(_ values: UnsafeMutablePointer<Double>, rows: Int, classes: Int) {
        for row in 0..<rows {
            let z = values + row * classes
            var largest = z[0]
            for k in 1..<classes where z[k] > largest { largest = z[k] }
            var sum = 0.0
            for k in 0..<classes {
                let e = exp(z[k] - largest)
                z[k] = e
                sum += e
            }
            for k in 0..<classes { z[k] /= sum }
        }
    }
}

/// Named sub-streams of the session seed, so adding a use of randomness never shifts another.
enum Streams {
    static let initialisation: UInt64 = 1
    static let validationSplit: UInt64 = 2
    /// Shuffling when the task has no session id to derive the round seed from.
    static let shuffle: UInt64 = 3
}

/// Per-layer scratch buffers for `rows` rows: activations (index 0 is the input batch) and deltas.
/// Allocated once per fit or evaluation and reused for every batch, so the inner loop allocates nothing.
final class LayerBuffers {
    let activations: [UnsafeMutablePointer<Double>]
    let deltas: [UnsafeMutablePointer<Double>]
    /// Room for one layer's weights, transposed (the kernels' scratch).
    let scratch: UnsafeMutablePointer<Double>

    init(shape: NetworkShape, rows: Int) {
        activations = shape.sizes.map { size in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(rows * size, 1))
            buffer.initialize(repeating: 0, count: max(rows * size, 1))
            return buffer
        }
        deltas = shape.sizes.map { size in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(rows * size, 1))
            buffer.initialize(repeating: 0, count: max(rows * size, 1))
            return buffer
        }
        let largest = (0..<shape.layerCount).map { shape.sizes[$0] * shape.sizes[$0 + 1] }.max() ?? 1
        scratch = .allocate(capacity: max(largest, 1))
        scratch.initialize(repeating: 0, count: max(largest, 1))
    }

    deinit {
        for buffer in activations { buffer.deallocate() }
        for buffer in deltas { buffer.deallocate() }
        scratch.deallocate()
    }
}

/// How one fit trains a network: `train_config` after validation, plus the round's shuffle seed.
struct NetworkTraining: Sendable, Equatable {
    var epochs: Int
    var batchSize: Int
    var optimizer: OptimizerConfig
    var shuffleSeed: UInt64
    /// FedProx's μ (`train_config.proximal_mu`): the weight of (μ/2)·‖w − w₀‖² toward the weights training
    /// started from; 0 (the default) leaves the loss alone.
    var proximalMu = 0.0
}

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
        var random = SeededRandom(seed: settings.shuffleSeed)
        var order = Array(0..<rows)
        var history: [Double] = []
        let learningRate = settings.optimizer.learningRate
        let mu = settings.proximalMu
        let anchor = parameters

        for epoch in 1...settings.epochs {
            Shuffle.rows(&order, &random)
            var epochLoss = 0.0
            var start = 0
            var batch = 0
            while start < rows {
                try control.check(epoch: epoch, epochs: settings.epochs)
                batch += 1
                let count = min(batchSize, rows - start)
                let loss = parameters.withUnsafeMutableBufferPointer { parameters in
                    gradient.withUnsafeMutableBufferPointer { gradient in
                        let p = parameters.baseAddress!
                        let g = gradient.baseAddress!
                        var loss = order.withUnsafeBufferPointer { order in
                            Self.batchGradient(
                                shape, UnsafePointer(p), into: g, buffers, features: features,
                                rows: UnsafeBufferPointer(rebasing: order[start..<start + count]),
                                targets: targets)
                        }
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
                guard loss.isFinite else {
                    throw TrainError.diverged(epoch: epoch, batch: batch, learningRate: learningRate)
                }
                epochLoss += loss * Double(count)
                start += count
            }
            let mean = epochLoss / Double(rows)
            history.append(mean)
            log?.debug(
                "epoch", "epoch \(epoch)/\(settings.epochs): training loss \(mean)",
                ["epoch": .int(epoch), "loss": .double(mean)])
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
