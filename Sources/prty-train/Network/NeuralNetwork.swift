import Foundation
import Shared

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
    static func forward(
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
    static func softmax(_ values: UnsafeMutablePointer<Double>, rows: Int, classes: Int) {
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
