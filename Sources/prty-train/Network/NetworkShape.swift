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
