import Shared
import Testing

@testable import prty_train

struct FitTests {
    static func task(session: String = "session-1", round: String = "round-1", extra: String = "") -> String {
        #"{"session_id": "\#(session)", "round_id": "\#(round)", "model_type": "neural_network", "#
            + #""model_config": {"hidden_sizes": [12]}, "#
            + #""train_config": {"epochs": 5, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam"}\#(extra)}"#
    }

    func fit(_ text: String, _ data: Dataset) throws -> ModelUpdate {
        try Fit(config: try TrainTestData.config(text), log: TrainTestData.log).fit(data)
    }

    @Test func theUpdateHasTheDesignedShape() throws {
        let data = TrainTestData.blobs(rows: 100, width: 4, classes: 3)
        let update = try fit(Self.task(), data)
        let json = update.json
        #expect(json["update_type"] == "delta")
        #expect(json["runner_id"] == "")
        #expect(json["session_id"] == "session-1" && json["round_id"] == "round-1")
        #expect(json["data_size"] == 80)  // 20 % held out
        #expect(json["training_time_ms"]!.intValue! >= 1)
        #expect(
            json["weights"]!.objectValue!.keys.sorted()
                == ["layer_0_bias", "layer_0_weights", "layer_1_bias", "layer_1_weights"])
        #expect(json["weights"]!["layer_0_weights"]!.arrayValue!.count == 4 * 12)
        #expect(json["gradients"]!["layer_1_weights"]!.arrayValue!.count == 12 * 3)
        let metadata = json["metadata"]!
        #expect(metadata["format"] == "prty.model/1")
        #expect(metadata["model_type"] == "neural_network")
        #expect(metadata["classes"] == [0, 1, 2])
        #expect(
            metadata["architecture"] == [
                "inputs": 4, "hidden_sizes": [12], "outputs": 3, "activation": "relu",
                "task": "classification",
            ])
        #expect(metadata["seed"] == .uint64(Seeds.session(id: "session-1")))
        #expect(metadata["validation"]?["samples"] == 20)
        #expect(metadata["training"]?["samples"] == 80)
        #expect(metadata["config"]?["train_config"]?["optimizer"] == "adam")
        #expect(json["privacy_metrics"] == nil)
        #expect(update.accuracy > 0.9)
        // gradients are the true delta: weights − the seed's initialisation (drawn for standardised inputs).
        let shape = NetworkShape(inputs: 4, hidden: [12], outputs: 3, task: .classification)
        let start = TrainTestData.networkStart(data, shape, seed: Seeds.session(id: "session-1"))
        #expect(metadata["input_scaling"]?["method"] == "standardise")
        for (name, values) in update.weights {
            for (index, value) in values.enumerated() {
                #expect(abs(value - update.gradients[name]![index] - start[name]![index]) < 1e-12)
            }
        }
    }

    @Test func sameInputSameBytesApartFromTiming() throws {
        let data = TrainTestData.blobs(rows: 120, width: 5, classes: 2)
        let a = try fit(Self.task(), data)
        let b = try fit(Self.task(), data)
        #expect(TrainTestData.timeless(a) == TrainTestData.timeless(b))
        // Another round shuffles differently, from the same start.
        let c = try fit(Self.task(round: "round-2"), data)
        #expect(c.weights != a.weights)
    }

    @Test func everyParticipantStartsFromTheSameInitialisation() throws {
        let whole = TrainTestData.blobs(rows: 200, width: 4, classes: 3)
        let first = whole.subset(Array(0..<100))
        let second = whole.subset(Array(100..<200))
        let a = try fit(Self.task(), first)
        let b = try fit(Self.task(), second)
        #expect(a.weights != b.weights)
        // The same seed's initialisation, for standardised inputs: in original units each start is that network
        // folded with its own part's scaling, and mapped back into standardised units the two agree.
        let shape = NetworkShape(inputs: 4, hidden: [12], outputs: 3, task: .classification)
        let seed = Seeds.session(id: "session-1")
        let initial = NeuralNetwork.initial(shape, seed: seed)
        for (part, update) in [(first, a), (second, b)] {
            let start = ModelUpdate.difference(update.weights, update.gradients)
            let expected = TrainTestData.networkStart(part, shape, seed: seed)
            for (name, values) in start {
                for (index, value) in values.enumerated() { #expect(abs(value - expected[name]![index]) < 1e-12) }
            }
            let training = part.subset(ValidationSplit(rows: part.count, fraction: 0.2, seed: seed).training)
            let scaling = Standardisation.network(training.features, rows: training.count, width: 4)
            let back = try NeuralNetwork(shape: shape, weights: start, source: "start").standardised(scaling)
            for index in back.parameters.indices {
                #expect(abs(back.parameters[index] - initial.parameters[index]) < 1e-12)
            }
        }
    }

    @Test func warmStartFromTheGlobalModel() throws {
        let data = TrainTestData.blobs(rows: 100, width: 4, classes: 3)
        let round1 = try fit(Self.task(), data)
        let aggregate = try Aggregate.aggregate([(try ModelDocument(round1.json, source: "u", role: .input), "u")])
        let round2 = try fit(Self.task(round: "round-2", extra: #", "global_model": \#(aggregate.serialized())"#), data)
        #expect(round2.json["metadata"]?["start"] == "global_model")
        let start = ModelUpdate.difference(round2.weights, round2.gradients)
        for (name, values) in start {
            for (index, value) in values.enumerated() { #expect(abs(value - round1.weights[name]![index]) < 1e-12) }
        }
        // A global model of another shape is refused before training, naming the tensor.
        let other =
            #"{"session_id": "s", "round_id": "r", "model_type": "neural_network", "#
            + #""model_config": {"hidden_sizes": [7]}, "train_config": {"epochs": 1, "batch_size": 8, "#
            + #""learning_rate": 0.01}, "global_model": \#(aggregate.serialized())}"#
        #expect(throws: TrainError.config("global_model 'layer_0_weights' has 48 values; a 4-7-3 network needs 28")) {
            try fit(other, data)
        }
        let narrow = data.subset(Array(0..<10))
        var threeWide = narrow
        threeWide.features = (0..<30).map(Double.init)
        threeWide.width = 3
        #expect(throws: TrainError.data("the global model takes 4 features but the dataset has 3")) {
            try fit(Self.task(round: "round-2", extra: #", "global_model": \#(aggregate.serialized())"#), threeWide)
        }
    }

    @Test func linearRegressionUpdate() throws {
        let data = TrainTestData.linear(rows: 500, coefficients: [2, -1, 0.5], intercept: 4)
        let update = try fit(
            #"{"model_type": "linear_regression", "model_config": {"input_size": 3}, "#
                + #""train_config": {"epochs": 100, "batch_size": 16, "learning_rate": 0.05}}"#, data)
        #expect(update.weights.keys.sorted() == ["bias", "weights"])
        #expect(abs(update.weights["weights"]![0] - 2) < 1e-6 && abs(update.weights["bias"]![0] - 4) < 1e-3)
        #expect(update.accuracy > 0.999999)  // R² on the held-out rows
        #expect(update.json["metadata"]?["metric"] == "r2")
        // The start is zeros, so the delta is the model itself.
        #expect(update.gradients == update.weights)
    }

    @Test func dataThatDoesNotFitTheTaskIsExit65() throws {
        let regression = TrainTestData.linear(rows: 50, coefficients: [1, 2], intercept: 0)
        let classify =
            #"{"model_type": "neural_network", "#
            + #""model_config": {"hidden_size": 4, "task": "classification"}, "#
            + #""train_config": {"epochs": 1, "batch_size": 4, "learning_rate": 0.1}}"#
        #expect(throws: TrainError.self) { try fit(classify, regression) }
        do { _ = try fit(classify, regression) } catch let error as TrainError {
            #expect(error.exitStatus == .dataError)
            #expect(
                error.description.hasPrefix(
                    "model_config.task is classification but the dataset's labels are continuous"))
        }
        let sized =
            #"{"model_type": "neural_network", "model_config": {"hidden_size": 4, "input_size": 3}, "#
            + #""train_config": {"epochs": 1, "batch_size": 4, "learning_rate": 0.1}}"#
        #expect(throws: TrainError.data("model_config.input_size is 3 but the dataset has 2 features")) {
            try fit(sized, regression)
        }
        let empty = Dataset(features: [], width: 2, labels: [], task: .classification, classes: [0, 1])
        let noRows = "the dataset has no rows: there is nothing to train on (check the partition)"
        #expect(throws: TrainError.data(noRows)) {
            try fit(Self.task(), empty)
        }
        var poisoned = TrainTestData.blobs(rows: 10, width: 2, classes: 2)
        poisoned.features[5] = .nan
        #expect(throws: TrainError.data("feature row 2, column 1 is not a finite number")) {
            try fit(Self.task(), poisoned)
        }
        let oneClass = Dataset(features: [1, 2, 3], width: 1, labels: [0, 0, 0], task: .classification, classes: [0])
        #expect(throws: TrainError.data("classification needs at least 2 classes; the dataset's classes are [0]")) {
            try fit(Self.task(), oneClass)
        }
    }

    @Test func outputSizeComesFromTheDatasetsClassesNotTheLocalLabels() throws {
        // This participant only holds classes 0 and 1 of the dataset's 0, 1, 2.
        var data = TrainTestData.blobs(rows: 60, width: 3, classes: 2)
        data.classes = [0, 1, 2]
        let update = try fit(Self.task(), data)
        #expect(update.weights["layer_1_bias"]!.count == 3)
    }

    @Test func capsBoundTheWork() throws {
        let data = TrainTestData.blobs(rows: 100, width: 4, classes: 3)
        let config = try TrainTestData.config(Self.task(), caps: TrainCaps(maxEpochSamples: 100))
        #expect {
            _ = try Fit(config: config, log: TrainTestData.log).fit(data)
        } throws: { error in
            "\(error)".contains("TRAIN_MAX_EPOCH_SAMPLES") && (error as? TrainError)?.exitStatus == .usage
        }
        let small = try TrainTestData.config(Self.task(), caps: TrainCaps(maxParameters: 50))
        #expect { _ = try Fit(config: small, log: TrainTestData.log).fit(data) } throws: { error in
            "\(error)".contains("TRAIN_MAX_PARAMETERS")
        }
    }

    @Test func deadlineStopsTraining() throws {
        let data = TrainTestData.blobs(rows: 100, width: 4, classes: 3)
        let config = try TrainTestData.config(Self.task())
        let expired = TrainingControl(deadline: Monotonic.seconds() - 1, deadlineText: "1ms")
        #expect(throws: TrainError.deadline(limit: "1ms", epoch: 1, epochs: 5)) {
            try Fit(config: config, control: expired, log: TrainTestData.log).fit(data)
        }
    }
}
