import Shared
import Testing

@testable import prty_train

struct TrainConfigTests {
    static let nn =
        #"{"model_type": "neural_network", "model_config": {"hidden_size": 8}, "#
        + #""train_config": {"epochs": 2, "batch_size": 4, "learning_rate": 0.1}"#

    func message(_ text: String, caps: TrainCaps = .defaults) -> String? {
        do {
            _ = try TrainTestData.config(text, caps: caps)
            return nil
        } catch {
            #expect((error as? any ExitStatusError)?.exitStatus == .usage)
            return "\(error)"
        }
    }

    @Test func aCompleteNetworkConfig() throws {
        let config = try TrainTestData.config(Self.nn + #", "session_id": "s", "round_id": "r"}"#)
        #expect(config.modelType == .neuralNetwork)
        let network = try #require(config.network)
        #expect(network.hidden == [8])
        #expect(network.training.epochs == 2)
        #expect(network.training.optimizer == OptimizerConfig(kind: .sgd, learningRate: 0.1, momentum: 0))
        #expect(network.globalModel == nil)
        #expect(config.validationFraction == 0.2)
        #expect(config.seed == Seeds.session(id: "s"))
        #expect(config.shuffleSeed == Seeds.round(session: "s", round: "r"))
        #expect(config.privacy == .off)
    }

    @Test func theSeedsMessagesAreKept() {
        #expect(message(#"{"model_config": {}}"#)!.hasPrefix("model_type is required"))
        #expect(message(#"{"model_type": "svm"}"#)!.hasPrefix("unsupported model type: svm"))
        #expect(
            message(#"{"model_type": "neural_network", "model_config": {}}"#)!
                .hasPrefix("hidden_size is required in neural network configuration"))
        #expect(
            message(#"{"model_type": "neural_network", "model_config": {"hidden_size": 4}}"#)!
                .hasPrefix("training configuration is incomplete: epochs is required"))
        #expect(
            message(#"{"model_type": "linear_regression", "train_config": {"epochs": 1}}"#)!
                .hasPrefix("training configuration is incomplete: batch_size is required"))
        #expect(
            message(#"{"model_type": "linear_regression", "train_config": {"epochs": 1, "batch_size": 2}}"#)!
                .hasPrefix("training configuration is incomplete: learning_rate is required"))
    }

    @Test func boundsOnEveryNumber() {
        func nn(
            train: String = #""epochs": 2, "batch_size": 4, "learning_rate": 0.1"#,
            model: String = #""hidden_size": 8"#
        ) -> String {
            #"{"model_type": "neural_network", "model_config": {\#(model)}, "train_config": {\#(train)}}"#
        }
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 4, "learning_rate": 0"#))!
                == "train_config.learning_rate must be positive, got 0")
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 4, "learning_rate": 1.5"#))!
                == "train_config.learning_rate 1.5 is too high; the maximum allowed is 1")
        #expect(
            message(nn(train: #""epochs": 0, "batch_size": 4, "learning_rate": 0.1"#))!
                .hasPrefix("train_config.epochs must be in 1..."))
        #expect(
            message(nn(train: #""epochs": 2.5, "batch_size": 4, "learning_rate": 0.1"#))!
                .hasPrefix("train_config.epochs must be an integer"))
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 0, "learning_rate": 0.1"#))!
                .hasPrefix("train_config.batch_size must be in 1..."))
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 4, "learning_rate": 0.1, "momentum": 1"#))!
                .hasPrefix("train_config.momentum must be in [0, 1)"))
        #expect(
            message(
                nn(
                    train: #""epochs": 2, "batch_size": 4, "learning_rate": 0.1, "optimizer": "adam", "#
                        + #""momentum": 0.9"#))!
                .hasPrefix("train_config.momentum applies to optimizer sgd only"))
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 4, "learning_rate": 0.1, "optimizer": "rmsprop""#))!
                .hasPrefix("train_config.optimizer must be one of sgd, adam"))
        #expect(
            message(nn(train: #""epochs": 2, "batch_size": 4, "learning_rate": 0.1, "validation_fraction": 1"#))!
                .hasPrefix("train_config.validation_fraction must be in [0.0, 0.9]"))
        for size in ["0", "-3", "2.5", "\"8\""] {
            #expect(
                message(nn(model: #""hidden_size": \#(size)"#))!
                    .hasPrefix("model_config.hidden_size must be a whole number ≥ 1"))
        }
        #expect(message(nn(model: #""hidden_sizes": []"#))!.hasPrefix("model_config.hidden_sizes must be a list"))
        #expect(message(nn(model: #""hidden_sizes": [8, 0]"#))!.hasPrefix("model_config.hidden_sizes[1] must be"))
        #expect(message(nn(model: #""hidden_size": 8, "hidden_sizes": [4]"#))!.contains("give one of them"))
        #expect(
            message(nn(model: #""hidden_size": 8, "activation": "tanh""#))!
                .hasPrefix("model_config.activation must be one of relu"))
        #expect(message(nn(model: #""hidden_size": 5000"#))!.contains("TRAIN_MAX_LAYER_SIZE"))
        #expect(
            message(nn(model: #""hidden_size": 64"#), caps: TrainCaps(maxLayerSize: 32))!
                .contains("at most 32 units"))
    }

    @Test func unknownKeysAreRefusedWithTheKnownOnes() {
        let text = message(#"{"model_type": "neural_network", "model_config": {"hidden_size": 8, "dropout": 0.5}}"#)!
        #expect(text.hasPrefix("unknown key 'dropout' in model_config; known keys: hidden_size, hidden_sizes,"))
        #expect(message(Self.nn + #", "colour": 1}"#)!.hasPrefix("unknown key 'colour' in the task config"))
        #expect(
            message(#"{"model_type": "random_forest", "model_config": {"hidden_size": 3}}"#)!
                .hasPrefix("unknown key 'hidden_size' in model_config; known keys: num_trees"))
        #expect(
            message(
                #"{"model_type": "linear_regression", "#
                    + #""model_config": {"input_size": 3, "task": "classification"}}"#)!
                .hasPrefix("model_config.task must be one of regression"))
    }

    @Test func modelTypeInsideModelConfigMustAgree() throws {
        _ = try TrainTestData.config(
            #"{"model_type": "neural_network", "model_config": {"hidden_size": 8, "#
                + #""model_type": "neural_network"}, "#
                + #""train_config": {"epochs": 2, "batch_size": 4, "learning_rate": 0.1}}"#)
        #expect(
            message(
                #"{"model_type": "neural_network", "model_config": {"hidden_size": 8, "#
                    + #""model_type": "transformer"}}"#)!.contains("make them agree"))
    }

    @Test func privacyNeedsItsBoundsAndIsRefusedForForests() throws {
        #expect(
            message(Self.nn + #", "privacy_config": {"differential_privacy": true}}"#)!
                .hasPrefix("privacy_config.l2_norm_clip is required when differential_privacy is true"))
        #expect(
            message(Self.nn + #", "privacy_config": {"differential_privacy": true, "l2_norm_clip": 1}}"#)!
                .hasPrefix("privacy_config.noise_multiplier is required"))
        #expect(
            message(
                Self.nn + #", "privacy_config": {"differential_privacy": true, "l2_norm_clip": 0, "#
                    + #""noise_multiplier": 1}}"#)!
                .hasPrefix("privacy_config.l2_norm_clip must be positive"))
        #expect(
            message(Self.nn + #", "privacy_config": {"secure_aggregation": true}}"#)!
                .contains("secure_aggregation is not supported"))
        #expect(
            message(
                #"{"model_type": "random_forest", "privacy_config": {"differential_privacy": true, "#
                    + #""l2_norm_clip": 1, "noise_multiplier": 1}}"#)!
                .hasPrefix("differential privacy is not available for random forests"))
        let config = try TrainTestData.config(
            Self.nn + #", "privacy_config": {"differential_privacy": true, "#
                + #""l2_norm_clip": 2, "noise_multiplier": 0.5, "secure_aggregation": false}}"#)
        #expect(config.privacy == PrivacyConfig(enabled: true, l2NormClip: 2, noiseMultiplier: 0.5))
        #expect(config.privacy.noiseScale == 1)
    }

    @Test func aForestNeedsNoTrainConfigAndIgnoresAGlobalModel() throws {
        let config = try TrainTestData.config(
            #"{"model_type": "random_forest", "global_model": {"weights": {"a": [1]}}}"#)
        #expect(config.training == nil)
        let forest = try #require(config.forestSection)
        #expect(config.globalModel == nil && forest.ignoredGlobalModel)
    }

    @Test func globalModelMustBeAModel() {
        #expect(message(Self.nn + #", "global_model": {"weights": {}}}"#)!.hasPrefix("global_model holds no weights"))
        #expect(
            message(Self.nn + #", "global_model": {"weights": {"a": [1, "x"]}}}"#)!
                .hasPrefix("global_model weights 'a' item 1 is not a finite number"))
        #expect(
            message(Self.nn + #", "global_model": {"weights": {"weights": [1], "bias": [0]}, "metadata": {}}}"#)!
                .hasPrefix("global_model holds a linear regression but model_type is neural_network"))
    }

    @Test func capsComeFromSettings() throws {
        let settings = Settings(environment: ["TRAIN_MAX_TREES": "5", "TRAIN_MAX_DEPTH": "0"])
        let caps = try TrainCaps(settings: settings)
        #expect(caps.maxTrees == 5 && caps.maxDepth == Int.max && caps.maxLayerSize == 4096)
        #expect(throws: ConfigError.self) { try TrainCaps(settings: Settings(environment: ["TRAIN_MAX_TREES": "x"])) }
    }
}
