import Shared
import Testing

@testable import prty_train

/// Issue 14: no input reaches a precondition, and no non-finite number is ever written.
struct LoadedModelCheckTests {
    static func forestDocument(_ forest: RandomForest) throws -> ModelDocument {
        let object: JSON = [
            "weights": ModelUpdate.tensors(forest.weights()), "data_size": 10, "loss": 0.1, "accuracy": 0.9,
            "metadata": [
                "format": "prty.model/1", "model_type": "random_forest", "forest": forest.metadata(),
                "classes": .doubles(forest.classes),
            ],
        ]
        return try ModelDocument(object, source: "forest.json", role: .input)
    }

    /// A forest applied to data of another width was a `precondition` trap (exit 132); now it is exit 65.
    @Test func aForestOnDataOfAnotherWidthIsRefused() throws {
        let data = ForestTestData.quadrants(rows: 60, width: 4)
        let document = try Self.forestDocument(try ForestTestData.fit(data, ["num_trees": 3]))
        let narrow = ForestTestData.quadrants(rows: 10, width: 3)
        let message = "the random forest in forest.json takes 4 features but the dataset has 3"
        #expect(throws: TrainError.data(message)) {
            try Evaluate.evaluate(document, on: narrow, source: "forest.json")
        }
        #expect(throws: TrainError.data(message)) {
            try Predict.predict(document, on: narrow, source: "forest.json", probabilities: false)
        }
        _ = try Evaluate.evaluate(document, on: data, source: "forest.json")  // the right width still works
    }

    @Test func zeroRowsAreNotNothingToTrainOn() throws {
        let document = try AggregateTests.update(["weights": [1, 2], "bias": [3]], size: 1, loss: 0, accuracy: 0)
        let empty = Dataset(features: [], width: 2, labels: [], task: .regression, classes: [])
        do {
            _ = try Evaluate.evaluate(document, on: empty, source: "m.json")
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)" == "the dataset has no rows: there is nothing to evaluate")
        }
    }

    /// 1e308 + 1e308 overflows: the aggregate fails naming the tensor and index instead of writing null.
    @Test func anOverflowingAggregateIsRefused() throws {
        let big = try AggregateTests.update(["weights": [1e308, 2], "bias": [3]], size: 1, loss: 0, accuracy: 0)
        let members = try Aggregate.members([(big, "a"), (big, "b")])
        do {
            try FiniteCheck.members(members, document: "the aggregate")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.exitStatus == .failure)
            #expect(
                error.description.hasPrefix("the aggregate's aggregated_model 'weights' [0] is not a finite number"))
        }
    }

    @Test func evaluateWithOverflowingOutputsFails() throws {
        let big = try AggregateTests.update(["weights": [1e308, 1e308], "bias": [0]], size: 1, loss: 0, accuracy: 0)
        let data = Dataset(features: [5, 5, 1, 1], width: 2, labels: [1, 2], task: .regression, classes: [])
        #expect(throws: NonFiniteError.self) { try Evaluate.evaluate(big, on: data, source: "m.json") }
        #expect(throws: NonFiniteError.self) {
            try Predict.predict(big, on: data, source: "m.json", probabilities: false)
        }
    }

    @Test func nonFiniteValuesInsideJSONAreFound() {
        #expect(throws: NonFiniteError.self) { try FiniteCheck.json(["a": [1, .double(.infinity)]], what: "x") }
        #expect(throws: Never.self) { try FiniteCheck.json(["a": [1, 2.5, "s"]], what: "x") }
    }

    /// A forest whose metadata contradicts its trees (classes) is refused when loaded.
    @Test func forestMetadataMustAgreeWithItsTrees() throws {
        let data = ForestTestData.quadrants(rows: 60, width: 4)
        let forest = try ForestTestData.fit(data, ["num_trees": 2])
        var object = try Self.forestDocument(forest)
        object.metadata["classes"] = .doubles([0, 1])
        #expect(throws: TrainError.self) { try Evaluate.evaluate(object, on: data, source: "forest.json") }
    }
}
