import Shared
import Testing

@testable import prty_train

struct NeuralNetworkTests {
    /// A network with small random biases too, so no ReLU sits exactly on its kink.
    static func network(_ sizes: [Int], task: Dataset.Task, seed: UInt64) -> NeuralNetwork {
        let shape = NetworkShape(
            inputs: sizes[0], hidden: Array(sizes.dropFirst().dropLast()),
            outputs: sizes.last!, task: task)
        var network = NeuralNetwork.initial(shape, seed: seed)
        var random = SeededRandom(seed: seed ^ 0xABCD)
        for l in 0..<shape.layerCount {
            for j in 0..<shape.sizes[l + 1] {
                network.parameters[shape.biasOffset(l) + j] = random.nextGaussian() * 0.1
            }
        }
        return network
    }

    @Test(arguments: [
        ([3, 5, 2], Dataset.Task.classification), ([4, 6, 5, 3], .classification), ([5, 8, 4], .classification),
        ([3, 4, 1], .regression), ([2, 3, 3, 1], .regression), ([6, 10, 1], .regression),
    ])
    func gradientMatchesFiniteDifferences(sizes: [Int], task: Dataset.Task) {
        let network = Self.network(sizes, task: task, seed: UInt64(sizes.reduce(0, +)))
        let rows = 7
        var random = SeededRandom(seed: 99)
        let features = (0..<(rows * sizes[0])).map { _ in random.nextGaussian() }
        let targets: NeuralNetwork.Targets =
            task == .classification
            ? .classes((0..<rows).map { $0 % sizes.last! })
            : .values((0..<rows).map { _ in random.nextGaussian() * 2 })
        let (loss, gradient) = network.lossAndGradient(features: features, rows: rows, targets: targets)
        #expect(loss.isFinite && loss > 0)
        let h = 1e-6
        var worst = 0.0
        for index in network.parameters.indices {
            var plus = network
            var minus = network
            plus.parameters[index] += h
            minus.parameters[index] -= h
            let numeric =
                (plus.lossAndGradient(features: features, rows: rows, targets: targets).loss
                    - minus.lossAndGradient(features: features, rows: rows, targets: targets).loss) / (2 * h)
            let error = abs(numeric - gradient[index]) / max(1e-4, abs(numeric) + abs(gradient[index]))
            worst = max(worst, error)
        }
        #expect(worst < 1e-5, "largest relative gradient error \(worst) for \(sizes)")
    }

    @Test func lossAgreesWithEvaluation() {
        let network = Self.network([4, 6, 3], task: .classification, seed: 3)
        let data = TrainTestData.blobs(rows: 30, width: 4, classes: 3)
        let targets = (0..<30).map { $0 % 3 }
        let batch = network.lossAndGradient(features: data.features, rows: 30, targets: .classes(targets)).loss
        let metrics = network.evaluate(data.features, rows: 30, targets: .classes(targets))
        #expect(abs(batch - metrics.loss) < 1e-12)
    }

    @Test func initialisationDependsOnlyOnShapeAndSeed() {
        let shape = NetworkShape(inputs: 20, hidden: [128], outputs: 3, task: .classification)
        let a = NeuralNetwork.initial(shape, seed: 42)
        let b = NeuralNetwork.initial(shape, seed: 42)
        #expect(a == b)
        #expect(a != NeuralNetwork.initial(shape, seed: 43))
        // PyTorch's Kaiming-uniform default: U(±1/√fan-in) for weights and biases, so variance 1 / (3 fan-in).
        let weights = a.weights()["layer_0_weights"]!
        let variance = weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)
        #expect(abs(variance - 1.0 / 60) < 0.002)
        #expect(weights.allSatisfy { abs($0) <= 1 / 20.0.squareRoot() })
        let outputWeights = a.weights()["layer_1_weights"]!
        let outputBias = a.weights()["layer_1_bias"]!
        #expect(outputWeights.count == 128 * 3)
        #expect((outputWeights + outputBias).allSatisfy { abs($0) <= 1 / 128.0.squareRoot() })
        #expect(Set(a.weights()["layer_0_bias"]!).count == 128)  // biases are drawn too, not zero
    }

    @Test func weightMapRoundTripsAndNamesFollowTheDesign() throws {
        let network = Self.network([4, 8, 5, 3], task: .classification, seed: 5)
        let map = network.weights()
        #expect(
            map.keys.sorted() == [
                "layer_0_bias", "layer_0_weights", "layer_1_bias", "layer_1_weights",
                "layer_2_bias", "layer_2_weights",
            ])
        #expect(map["layer_0_weights"]!.count == 32)
        // Row-major [inputs][outputs]: element (input 1, output 2) of layer 0 sits at 1 × 8 + 2.
        #expect(map["layer_0_weights"]![1 * 8 + 2] == network.parameters[network.shape.weightOffset(0) + 10])
        let back = try NeuralNetwork(shape: network.shape, weights: map, source: "test")
        #expect(back == network)
        #expect(NeuralNetwork.inferShape(from: map, task: .classification) == network.shape)
    }

    @Test func mismatchedWeightMapsAreRefusedByName() {
        let shape = NetworkShape(inputs: 4, hidden: [8], outputs: 3, task: .classification)
        var map = NeuralNetwork.initial(shape, seed: 1).weights()
        map["layer_1_bias"] = [0, 0]
        #expect(throws: TrainError.config("global_model 'layer_1_bias' has 2 values; a 4-8-3 network needs 3")) {
            try NeuralNetwork(shape: shape, weights: map, source: "global_model")
        }
        map["layer_1_bias"] = nil
        #expect(throws: TrainError.self) { try NeuralNetwork(shape: shape, weights: map, source: "global_model") }
        map = NeuralNetwork.initial(shape, seed: 1).weights()
        map["extra"] = [1]
        #expect(throws: TrainError.config("global_model has a tensor 'extra' that a 4-8-3 network does not have")) {
            try NeuralNetwork(shape: shape, weights: map, source: "global_model")
        }
    }

    @Test(arguments: [OptimizerConfig.Kind.sgd, .adam])
    func learnsSeparableBlobs(kind: OptimizerConfig.Kind) throws {
        let data = TrainTestData.blobs(rows: 300, width: 5, classes: 3)
        let shape = NetworkShape(inputs: 5, hidden: [16], outputs: 3, task: .classification)
        var network = NeuralNetwork.initial(shape, seed: 1)
        let targets = NeuralNetwork.Targets.classes(data.labels.map { Int($0) })
        let settings = NetworkTraining(
            epochs: 30, batchSize: 16,
            optimizer: OptimizerConfig(
                kind: kind, learningRate: kind == .adam ? 0.01 : 0.05, momentum: kind == .sgd ? 0.9 : 0),
            shuffleSeed: 5)
        let history = try network.train(
            features: data.features, rows: 300, targets: targets, settings: settings,
            control: .unlimited)
        #expect(history.count == 30)
        #expect(history.last! < history.first!)
        #expect(network.evaluate(data.features, rows: 300, targets: targets).accuracy > 0.97)
    }

    @Test func regressionNetworkFitsASmoothFunction() throws {
        var random = SeededRandom(seed: 3)
        let rows = 400
        let xs = (0..<rows).map { _ in random.nextUnit() * 4 - 2 }
        let ys = xs.map { $0 * $0 }
        let shape = NetworkShape(inputs: 1, hidden: [32], outputs: 1, task: .regression)
        var network = NeuralNetwork.initial(shape, seed: 2)
        let settings = NetworkTraining(
            epochs: 200, batchSize: 16, optimizer: OptimizerConfig(kind: .adam, learningRate: 0.01, momentum: 0),
            shuffleSeed: 1)
        _ = try network.train(features: xs, rows: rows, targets: .values(ys), settings: settings, control: .unlimited)
        let metrics = network.evaluate(xs, rows: rows, targets: .values(ys))
        #expect(metrics.accuracy > 0.98, "R² \(metrics.accuracy)")
    }

    @Test func divergenceNamesTheEpoch() {
        let data = TrainTestData.linear(rows: 64, coefficients: [1, 2, 3], intercept: 1e6)
        let shape = NetworkShape(inputs: 3, hidden: [8], outputs: 1, task: .regression)
        var network = NeuralNetwork.initial(shape, seed: 1)
        let settings = NetworkTraining(
            epochs: 50, batchSize: 4, optimizer: OptimizerConfig(kind: .sgd, learningRate: 1, momentum: 0),
            shuffleSeed: 1)
        #expect {
            _ = try network.train(
                features: data.features, rows: 64, targets: .values(data.labels),
                settings: settings, control: .unlimited)
        } throws: { error in
            guard case .diverged(let epoch, _, let rate) = error as? TrainError else { return false }
            return epoch >= 1 && rate == 1 && "\(error)".contains("lower train_config.learning_rate")
        }
    }
}
