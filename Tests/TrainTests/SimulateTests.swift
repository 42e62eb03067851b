import Shared
import Testing

@testable import prty_train

/// `prty-train simulate`: the federated loop in one process, through the pipeline's own partition, fit,
/// aggregate and evaluate.
struct SimulateTests {
    static func partition(alpha: Double = 0.5) -> PartitionConfig {
        var config = PartitionConfig()
        config.strategy = .nonIID
        config.alpha = alpha
        config.holdout = 0.25
        config.seed = 42
        return config
    }

    static func simulate(_ task: String, _ data: Dataset, rounds: Int) throws -> JSON {
        try Simulate(
            task: try TrainTestData.task(task), participants: 3, rounds: rounds, partition: partition(),
            caps: .defaults, log: TrainTestData.log
        ).simulate(data)
    }

    static let networkTask =
        #"{"session_id": "s", "model_type": "neural_network", "model_config": {"hidden_sizes": [32]}, "#
        + #""train_config": {"epochs": 30, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam"}}"#

    @Test func networksOnUnscaledFeaturesComeCloseToCentralTraining() throws {
        let data = FederatedQualityTests.wineLike(rows: 600)
        let report = try Self.simulate(Self.networkTask, data, rounds: 2)
        let rounds = try #require(report["rounds"]?.arrayValue)
        #expect(rounds.count == 2)
        #expect(report["test_samples"] == 150)
        #expect(report["train_samples"] == 450)
        for round in rounds {
            let federated = try #require(round["federated"]?["accuracy"]?.doubleValue)
            let central = try #require(round["central"]?["accuracy"]?.doubleValue)
            #expect(federated > 0.8, "federated \(federated)")
            #expect(federated > central - 0.1, "federated \(federated), central \(central)")
            #expect(round["federated_soft_voting"] == nil)  // forests only
            let participants = try #require(round["participants"]?.arrayValue)
            #expect(participants.compactMap { $0["rows"]?.intValue }.reduce(0, +) == 450)
        }
        // Deterministic: the same session gives the same figures.
        let again = try Self.simulate(Self.networkTask, data, rounds: 2)
        #expect(again["rounds"]?.arrayValue?[0]["federated"] == report["rounds"]?.arrayValue?[0]["federated"])
    }

    @Test func forestsTrainInOneRoundAndUnite() throws {
        let data = ForestTestData.informative(rows: 4000, width: 6, informative: 3, flip: 0.05)
        let task = #"{"session_id": "s", "model_type": "random_forest", "model_config": {"num_trees": 20}}"#
        let report = try Self.simulate(task, data, rounds: 3)
        let rounds = try #require(report["rounds"]?.arrayValue)
        #expect(rounds.count == 1)  // a forest does not start from a global model
        let federated = try #require(rounds[0]["federated"]?["accuracy"]?.doubleValue)
        let central = try #require(rounds[0]["central"]?["accuracy"]?.doubleValue)
        #expect(federated > 0.75 && central > 0.85, "federated \(federated), central \(central)")
        #expect(rounds[0]["federated_soft_voting"]?["accuracy"]?.doubleValue != nil)
    }
}
