import Shared
import Testing

@testable import prty_train

struct AggregateTests {
    static func update(
        _ weights: [String: [Double]], gradients: [String: [Double]]? = nil, size: Int, loss: Double,
        accuracy: Double, type: String = "linear_regression"
    ) throws -> ModelDocument {
        var object: [String: JSON] = [
            "weights": ModelUpdate.tensors(weights), "data_size": .int(size), "loss": .double(loss),
            "accuracy": .double(accuracy), "metadata": ["format": "prty.model/1", "model_type": .string(type)],
        ]
        if let gradients { object["gradients"] = ModelUpdate.tensors(gradients) }
        return try ModelDocument(.object(object), source: "test", role: .input)
    }

    @Test func fedAvgByHand() throws {
        let a = try Self.update(
            ["weights": [1, 2], "bias": [3]], gradients: ["weights": [0, 1], "bias": [1]],
            size: 1, loss: 0.5, accuracy: 0.9)
        let b = try Self.update(
            ["weights": [5, -2], "bias": [7]], gradients: ["weights": [4, 1], "bias": [-1]],
            size: 3, loss: 0.3, accuracy: 0.7)
        let result = try Aggregate.aggregate([(a, "a"), (b, "b")])
        // (1·1 + 3·5) / 4 = 4, (1·2 + 3·−2) / 4 = −1, (1·3 + 3·7) / 4 = 6.
        #expect(result["weights"] == ["weights": [4, -1], "bias": [6]])
        #expect(result["aggregated_model"] == result["weights"])
        #expect(result["gradients"] == ["weights": [3, 1], "bias": [-0.5]])
        #expect(result["method"] == "fedavg")
        #expect(result["participant_count"] == 2)
        let metrics = result["global_metrics"]!
        #expect(abs(metrics["average_loss"]!.doubleValue! - 0.35) < 1e-12)  // (0.5 + 3·0.3) / 4
        #expect(abs(metrics["average_accuracy"]!.doubleValue! - 0.75) < 1e-12)
        #expect(abs(metrics["variance"]!.doubleValue! - 0.02) < 1e-12)  // sample variance of 0.5, 0.3
        #expect(abs(metrics["convergence"]!.doubleValue! - (1 - 0.02 / 0.35)) < 1e-12)
        #expect(result["metadata"]?["data_size"] == 4)
        // The result reads back as a global model.
        let global = try ModelDocument(result, source: "global", role: .taskConfig)
        #expect(global.kind == .aggregate && global.weights == ["weights": [4, -1], "bias": [6]])
        #expect(global.dataSize == 4 && global.participantCount == 2)
    }

    @Test func mismatchesAreRefused() throws {
        let a = try Self.update(["weights": [1, 2], "bias": [3]], size: 1, loss: 0, accuracy: 0)
        let longer = try Self.update(["weights": [1, 2, 3], "bias": [3]], size: 1, loss: 0, accuracy: 0)
        #expect(throws: TrainError.data("b weights 'weights' has 3 values but a has 2")) {
            try Aggregate.aggregate([(a, "a"), (longer, "b")])
        }
        let network = try Self.update(
            ["layer_0_weights": [1], "layer_0_bias": [1]], size: 1, loss: 0, accuracy: 0,
            type: "neural_network")
        let mixed = "b holds a neural network but a a linear regression; aggregate one model type at a time"
        #expect(throws: TrainError.data(mixed)) {
            try Aggregate.aggregate([(a, "a"), (network, "b")])
        }
        let empty = try Self.update(["weights": [1, 2], "bias": [3]], size: 0, loss: 0, accuracy: 0)
        #expect(throws: TrainError.self) { try Aggregate.aggregate([(empty, "a")]) }
        #expect(throws: UsageError.self) { try Aggregate.aggregate([]) }
    }

    @Test func readsNDJSONAndAPrettyDocument() throws {
        let line = #"{"weights": {"weights": [1], "bias": [0]}, "data_size": 2, "loss": 1, "accuracy": 0}"#
        let two = try Aggregate.readStream(Array((line + "\n\n" + line + "\n").utf8))
        #expect(two.map(\.source) == ["stdin line 1", "stdin line 3"])
        let document = "{\n  \"weights\": {\"weights\": [1], \"bias\": [0]},\n  \"data_size\": 1\n}\n"
        let pretty = try Aggregate.readStream(Array(document.utf8))
        #expect(pretty.count == 1)
        #expect(throws: TrainError.self) { try Aggregate.readStream(Array((line + "\n{oops\n").utf8)) }
    }
}

struct DocumentWriterTests {
    @Test func bytesAreExactlyTheJSONSerialization() throws {
        let weights: [String: [Double]] = [
            "b": [0.1, -2, 1e-300, 123456789.125, .leastNonzeroMagnitude, 1.7976931348623157e308, -0.0, 3],
            "a": [], "c": [1, 2.5],
        ]
        let members: [String: DocumentWriter.Member] = [
            "weights": .tensors(weights), "name": .json("x\"y"), "n": .json(3), "meta": .json(["k": [1, 2]]),
        ]
        let json: JSON = [
            "weights": ModelUpdate.tensors(weights), "name": "x\"y", "n": 3, "meta": ["k": [1, 2]],
        ]
        #expect(DocumentWriter.bytes(members) == Array((json.serialized() + "\n").utf8))
        #expect(try JSONParser.parse(DocumentWriter.bytes(members)) == json)
    }

    @Test func anUpdateWritesWhatItsJSONSays() throws {
        let data = TrainTestData.blobs(rows: 50, width: 3, classes: 2)
        let update = try Fit(config: try TrainTestData.config(FitTests.task()), log: TrainTestData.log).fit(data)
        #expect(update.bytes == Array((update.json.serialized() + "\n").utf8))
    }
}
