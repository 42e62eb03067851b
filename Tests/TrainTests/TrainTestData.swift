import Foundation
import Shared

@testable import prty_train

/// Small synthetic datasets for the tests, drawn from a seed so every run sees the same numbers.
enum TrainTestData {
    /// `classes` Gaussian blobs in `width` dimensions, centres 3 apart: nearly separable.
    static func blobs(rows: Int, width: Int, classes: Int, seed: UInt64 = 7) -> Dataset {
        var random = SeededRandom(seed: seed)
        var centres: [[Double]] = []
        for _ in 0..<classes { centres.append((0..<width).map { _ in random.nextGaussian() * 3 }) }
        var features: [Double] = []
        var labels: [Double] = []
        for row in 0..<rows {
            let label = row % classes
            for f in 0..<width { features.append(centres[label][f] + random.nextGaussian()) }
            labels.append(Double(label))
        }
        return Dataset(
            features: features, width: width, labels: labels, task: .classification,
            classes: (0..<classes).map(Double.init))
    }

    /// y = Σ coefficients·x + intercept (+ noise), features on very different scales.
    static func linear(rows: Int, coefficients: [Double], intercept: Double, noise: Double = 0, seed: UInt64 = 11)
        -> Dataset
    {
        var random = SeededRandom(seed: seed)
        let scales = [1000.0, 0.01, 2.0, 50.0, 1.0, 0.5]
        var features: [Double] = []
        var labels: [Double] = []
        for _ in 0..<rows {
            var y = intercept
            for (f, coefficient) in coefficients.enumerated() {
                let x = (random.nextUnit() * 2 - 1) * scales[f % scales.count] + Double(f)
                features.append(x)
                y += coefficient * x
            }
            labels.append(y + noise * random.nextGaussian())
        }
        return Dataset(features: features, width: coefficients.count, labels: labels, task: .regression, classes: [])
    }

    /// A task config from a JSON literal.
    static func task(_ text: String) throws -> TaskConfig { try TaskConfig(document: try JSONParser.parse(text)) }

    static func config(_ text: String, caps: TrainCaps = .defaults) throws -> TrainConfig {
        try TrainConfig(try task(text), caps: caps)
    }

    /// Where fit starts a network without a global model: the seed's initialisation for standardised inputs,
    /// folded into the original units of `data`'s training rows (those left after the held-out `fraction`).
    static func networkStart(_ data: Dataset, _ shape: NetworkShape, seed: UInt64, fraction: Double = 0.2)
        -> [String: [Double]]
    {
        let training = data.subset(ValidationSplit(rows: data.count, fraction: fraction, seed: seed).training)
        let scaling = Standardisation.network(training.features, rows: training.count, width: data.width)
        return NeuralNetwork.initial(shape, seed: seed).unstandardised(scaling).weights()
    }

    /// A quiet logger for unit tests.
    static let log = Log(tool: "prty-train", minimum: .error, isTerminal: false)

    /// The update's JSON without the fields that measure time.
    static func timeless(_ update: ModelUpdate) -> String {
        var object = update.json.objectValue!
        object["training_time"] = nil
        object["training_time_ms"] = nil
        return JSON.object(object).serialized()
    }
}

extension TrainConfig {
    /// The network's settings, or nil when the task trains another model (for `#require`).
    var network: NetworkConfig? {
        if case .neuralNetwork(let network) = model { network } else { nil }
    }

    /// A forest's `model_config`, or nil when the task trains another model.
    var forestSection: ForestSection? {
        if case .randomForest(let forest) = model { forest } else { nil }
    }
}

extension Arguments.Outcome {
    /// The parsed arguments when the outcome is a run; nil for help, version or completions (for `#require`).
    var run: Arguments? {
        if case .run(let arguments) = self { arguments } else { nil }
    }
}
