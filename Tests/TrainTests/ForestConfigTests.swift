import Shared
import Testing

@testable import prty_train

/// `model_config` for a random forest: the seed's keys and defaults, bounds, caps, and the messages.
struct ForestConfigTests {
    typealias Data = ForestTestData
    static let data = Data.informative(rows: 10, width: 20, informative: 2)

    func config(_ values: [String: JSON], caps: TrainCaps = .defaults) throws -> ForestConfig {
        try Data.config(Self.data, values, seed: 42, caps: caps)
    }

    /// The message of the UsageError (exit 64) that `values` cause.
    func refusal(_ values: [String: JSON], caps: TrainCaps = .defaults) -> String? {
        do {
            _ = try config(values, caps: caps)
            return nil
        } catch let error as UsageError {
            return error.message
        } catch {
            return "unexpected \(type(of: error)): \(error)"
        }
    }

    @Test func defaultsAreTheSeeds() throws {
        let config = try config([:])
        #expect(config.numTrees == 100)
        #expect(config.maxDepth == 10)
        #expect(config.depthLimit == 10)
        #expect(config.minSamplesSplit == 2)
        #expect(config.minSamplesLeaf == 1)
        #expect(config.maxFeatures == 4)  // ⌊√20⌋
        #expect(config.subsample == 1)
        #expect(config.bootstrap)
        #expect(config.oobScore)
        #expect(config.randomState == 42)  // the session seed
        #expect(config.criterion == .gini)
        #expect(config.classes == [0, 1, 2])
    }

    @Test func effectiveConfigNamesEveryKeyWithItsResolvedValue() throws {
        let effective = try config(["max_features": 0, "criterion": "entropy", "num_classes": 0]).effective
        let keys = try #require(effective.objectValue?.keys)
        #expect(Set(keys) == Set(ForestConfig.keys))
        #expect(effective["max_features"] == 4)
        #expect(effective["num_classes"] == 3)
        #expect(effective["criterion"] == "entropy")
        #expect(effective["random_state"] == .uint64(42))
        // Fed back as model_config, the effective config is accepted and means the same.
        let section = try ConfigSection(name: "model_config", effective.objectValue!, known: ForestConfig.keys)
        let again = try ForestConfig(section, classes: [0, 1, 2], featureCount: 20, seed: 9, caps: .defaults)
        #expect(again.effective == effective)
    }

    @Test(arguments: [(1, 1), (2, 1), (3, 1), (4, 2), (8, 2), (9, 3), (15, 3), (16, 4), (64, 8), (99, 9), (100, 10)])
    func sqrtFeatures(count: Int, expected: Int) {
        #expect(ForestConfig.sqrtFeatures(count) == expected)
    }

    @Test func explicitValuesAreTaken() throws {
        let config = try config([
            "num_trees": 7, "max_depth": 0, "min_samples_split": 5, "min_samples_leaf": 3, "max_features": 20,
            "subsample": 0.5, "bootstrap_samples": false, "oob_score": false, "random_state": .uint64(UInt64.max),
            "criterion": "entropy", "num_classes": 3,
        ])
        #expect(config.numTrees == 7)
        #expect(config.maxDepth == 0)
        #expect(config.depthLimit == TrainCaps.defaults.maxDepth)
        #expect(config.minSamplesSplit == 5)
        #expect(config.minSamplesLeaf == 3)
        #expect(config.maxFeatures == 20)
        #expect(config.subsample == 0.5)
        #expect(!config.bootstrap)
        #expect(!config.oobScore)
        #expect(config.randomState == UInt64.max)
        #expect(config.criterion == .entropy)
        #expect(config.drawCount(rows: 11) == 5)
        #expect(config.drawCount(rows: 1) == 1)  // at least one row
    }

    @Test(arguments: [
        (["num_tres": 5] as [String: JSON], "unknown key 'num_tres' in model_config; known keys: num_trees, max_depth"),
        (["num_trees": 0], "model_config.num_trees must be in 1..."),
        (["num_trees": 2.5], "model_config.num_trees must be an integer, got 2.5"),
        (["num_trees": "100"], "model_config.num_trees must be an integer"),
        (["max_depth": -1], "model_config.max_depth must be in 0..."),
        (["min_samples_split": 1], "model_config.min_samples_split must be in 2..."),
        (["min_samples_leaf": 0], "model_config.min_samples_leaf must be in 1..."),
        (["max_features": 21], "model_config.max_features must be in 0...20, got 21"),
        (["max_features": -1], "model_config.max_features must be in 0...20, got -1"),
        (["subsample": 0], "model_config.subsample must be in (0, 1], got 0"),
        (["subsample": 1.5], "model_config.subsample must be in [0.0, 1.0], got 1.5"),
        (["subsample": "all"], "model_config.subsample must be a number"),
        (["bootstrap_samples": 1], "model_config.bootstrap_samples must be true or false, got 1"),
        (["oob_score": "yes"], "model_config.oob_score must be true or false"),
        (["random_state": -1], "model_config.random_state must be an integer in 0...18446744073709551615, got -1"),
        (["random_state": 1.5], "model_config.random_state must be an integer"),
        (["criterion": "log_loss"], "model_config.criterion must be one of gini, entropy, got 'log_loss'"),
        (["num_classes": 2], "model_config.num_classes is 2 but the dataset has 3 classes"),
        (["num_classes": -1], "model_config.num_classes must be in 0..."),
        (
            ["oob_score": true, "bootstrap_samples": false],
            "model_config.oob_score needs out-of-bag rows: set bootstrap_samples true or subsample below 1"
        ),
    ])
    func invalidValuesAreRefused(values: [String: JSON], message: String) {
        let refused = refusal(values)
        #expect(refused?.hasPrefix(message) == true, "\(refused ?? "accepted")")
    }

    @Test func oobWithoutBootstrapIsFineWithSubsample() throws {
        #expect(try config(["oob_score": true, "bootstrap_samples": false, "subsample": 0.8]).oobScore)
    }

    @Test func capsAreEnforcedAndNamed() throws {
        let caps = TrainCaps(maxTrees: 50, maxDepth: 12)
        #expect(refusal(["num_trees": 51], caps: caps)?.contains("at most 50 trees (TRAIN_MAX_TREES)") == true)
        #expect(refusal(["max_depth": 13], caps: caps)?.contains("at most 12 deep (TRAIN_MAX_DEPTH)") == true)
        let atCaps = try config(["num_trees": 50, "max_depth": 12], caps: caps)
        #expect(atCaps.numTrees == 50 && atCaps.depthLimit == 12)
        // Defaults above a cap shrink to it; max_depth 0 means the cap.
        let defaults = try config([:], caps: TrainCaps(maxTrees: 20, maxDepth: 6))
        #expect(defaults.numTrees == 20)
        #expect(defaults.depthLimit == 6)
        #expect(try config(["max_depth": 0], caps: caps).depthLimit == 12)
    }

    @Test func regressionDataIsRefused() throws {
        let section = try ConfigSection(name: "model_config", [:], known: ForestConfig.keys)
        let error = #expect(throws: TrainError.self) {
            try ForestConfig(section, classes: [], featureCount: 3, seed: 1, caps: .defaults)
        }
        #expect(error?.exitStatus == .dataError)
        #expect(error?.description.contains("regression") == true)
    }
}
