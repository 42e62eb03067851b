import Shared

/// The FL task config as prty-train reads it, checked before any data is read: `model_type`, `model_config`,
/// `train_config`, `privacy_config`, `global_model` and the seeds. Every problem is exit 64 with a message
/// that names the key, the bound and what to do; the seed's wording is kept where the seed had one.
struct TrainConfig: Sendable {
    static let networkKeys = ["hidden_size", "hidden_sizes", "input_size", "output_size", "task", "activation"]
    static let linearKeys = ["input_size", "task"]
    static let trainKeys = [
        "epochs", "batch_size", "learning_rate", "optimizer", "momentum", "validation_fraction", "proximal_mu",
    ]
    static let privacyKeys = ["differential_privacy", "l2_norm_clip", "noise_multiplier", "secure_aggregation"]
    /// The server stores the session's model family inside `model_config` too (it prices rewards by it), so a
    /// `model_type` there is accepted when it agrees with the top-level one.
    static let sharedModelKeys = ["model_type"]

    static let maxEpochs = 1_000_000
    static let maxBatchSize = 1 << 24
    static let maxHiddenLayers = 32
    static let validationFractionRange = 0.0...0.9

    /// What the task trains, each model carrying only its own settings: a network always has its training
    /// settings, a forest never has epochs or a global model, so no fit unwraps an optional far from where it
    /// was checked.
    enum Model: Sendable {
        case neuralNetwork(NetworkConfig)
        case linearRegression(LinearConfig)
        case randomForest(ForestSection)
    }

    struct NetworkConfig: Sendable {
        var hidden: [Int]
        var inputSize: Int?
        var outputSize: Int?
        var task: Dataset.Task?
        var training: NetworkTraining
        /// `global_model`, shape-checked against the data when the fit starts.
        var globalModel: ModelDocument?
    }

    struct LinearConfig: Sendable {
        var inputSize: Int?
        var training: NetworkTraining
        var globalModel: ModelDocument?
    }

    struct ForestSection: Sendable {
        /// `model_config`, read by `ForestConfig` once the data's classes and width are known.
        var section: ConfigSection
        /// Whether a `global_model` was given but ignored (docs/federated-learning.md §4.3), so fit can say so.
        var ignoredGlobalModel: Bool
    }

    var model: Model
    var sessionID: String
    var roundID: String
    /// The session seed (docs/federated-learning.md §1): the config's `seed`, else from `session_id`. Fixes the
    /// initialisation and the held-out split.
    var seed: UInt64
    /// The round's shuffle seed: SHA-256(session_id ‖ round_id), or a stream of `seed` without a session id.
    var shuffleSeed: UInt64
    var validationFraction: Double
    var privacy: PrivacyConfig
    var caps: TrainCaps

    var modelType: ModelType {
        switch model {
        case .neuralNetwork: .neuralNetwork
        case .linearRegression: .linearRegression
        case .randomForest: .randomForest
        }
    }

    /// Epochs, batch size and optimiser of a network or linear regression; `nil` for a forest.
    var training: NetworkTraining? {
        switch model {
        case .neuralNetwork(let network): network.training
        case .linearRegression(let linear): linear.training
        case .randomForest: nil
        }
    }

    /// The model training starts from; always `nil` for a forest, which ignores it.
    var globalModel: ModelDocument? {
        switch model {
        case .neuralNetwork(let network): network.globalModel
        case .linearRegression(let linear): linear.globalModel
        case .randomForest: nil
        }
    }

    init(_ task: TaskConfig, caps: TrainCaps) throws(TrainError) {
        do { try self.init(checking: task, caps: caps) } catch { throw TrainError.config(error.message) }
    }

    private init(checking task: TaskConfig, caps: TrainCaps) throws(UsageError) {
        self.caps = caps
        guard let typeName = try task.string("model_type") else {
            throw UsageError("model_type is required: one of \(ModelType.names)")
        }
        guard let modelType = ModelType(rawValue: typeName) else {
            throw UsageError("unsupported model type: \(typeName); expected one of \(ModelType.names)")
        }
        sessionID = try task.string("session_id") ?? ""
        roundID = try task.string("round_id") ?? ""
        seed = try task.sessionSeed()
        var stream = SeededRandom(seed: seed).derived(Streams.shuffle)
        shuffleSeed = sessionID.isEmpty ? stream.next() : Seeds.round(session: sessionID, round: roundID)

        // model_config
        let modelKeys: [String]
        switch modelType {
        case .neuralNetwork: modelKeys = Self.networkKeys
        case .linearRegression: modelKeys = Self.linearKeys
        case .randomForest: modelKeys = ForestConfig.keys
        }
        let modelSection = try Self.modelSection(task, keys: modelKeys, typeName: typeName)
        var layout: Layout?
        var linearInputSize: Int?
        switch modelType {
        case .neuralNetwork: layout = try Self.layout(modelSection, caps: caps)
        case .linearRegression:
            linearInputSize = try modelSection.int("input_size", in: 1...Int(Int32.max))
            _ = try modelSection.string("task", choices: ["regression"])
        case .randomForest: break
        }

        // train_config
        let train = try task.section("train_config", known: Self.trainKeys)
        validationFraction = try train.double("validation_fraction", in: Self.validationFractionRange) ?? 0.2
        let training = modelType == .randomForest ? nil : try Self.training(train, shuffleSeed: shuffleSeed)

        // privacy_config
        let privacySection = try task.section("privacy_config", known: Self.privacyKeys)
        privacy = try Self.privacy(privacySection)
        if try privacySection.bool("secure_aggregation") == true {
            throw UsageError(
                "privacy_config.secure_aggregation is not supported by prty-train: updates are sent "
                    + "unmasked; set it to false (differential_privacy protects the update itself)")
        }
        if modelType == .randomForest, privacy.enabled {
            throw UsageError(
                "differential privacy is not available for random forests: trees are not a vector "
                    + "that clipping and Gaussian noise can protect; set privacy_config.differential_privacy to false "
                    + "or use neural_network or linear_regression")
        }

        // global_model
        let global = task.values["global_model"].flatMap { $0.isNull ? nil : $0 }
        var globalModel: ModelDocument?
        if let global, modelType != .randomForest {
            do {
                globalModel = try ModelDocument(global, source: "global_model", role: .taskConfig)
            } catch {
                throw UsageError(error.description)
            }
            if let type = globalModel?.modelType, type != modelType {
                throw UsageError("global_model holds \(type.phrase) but model_type is \(typeName)")
            }
        }

        switch (modelType, training, layout) {
        case (.neuralNetwork, let training?, let layout?):
            model = .neuralNetwork(
                NetworkConfig(
                    hidden: layout.hidden, inputSize: layout.inputSize, outputSize: layout.outputSize,
                    task: layout.task, training: training, globalModel: globalModel))
        case (.linearRegression, let training?, _):
            model = .linearRegression(
                LinearConfig(inputSize: linearInputSize, training: training, globalModel: globalModel))
        default:  // .randomForest: the only type parsed without training settings
            model = .randomForest(ForestSection(section: modelSection, ignoredGlobalModel: global != nil))
        }
    }

    /// `model_config` with only `keys` (and a `model_type` that agrees with the top-level one, then dropped).
    private static func modelSection(_ task: TaskConfig, keys: [String], typeName: String) throws(UsageError)
        -> ConfigSection
    {
        let model = try task.section("model_config", known: keys + sharedModelKeys)
        if let declared = try model.string("model_type"), declared != typeName {
            throw UsageError(
                "model_config.model_type is '\(declared)' but model_type is '\(typeName)'; "
                    + "make them agree")
        }
        var values = model.values
        values["model_type"] = nil
        return try ConfigSection(name: "model_config", values, known: keys)
    }

    /// `train_config` for a network or linear regression: epochs, batch size and learning rate are required.
    private static func training(_ train: ConfigSection, shuffleSeed: UInt64) throws(UsageError) -> NetworkTraining {
        for key in ["epochs", "batch_size", "learning_rate"] where !train.has(key) {
            throw UsageError(
                "training configuration is incomplete: \(key) is required "
                    + "(train_config needs epochs, batch_size and learning_rate)")
        }
        guard let epochs = try train.int("epochs", in: 1...maxEpochs),
            let batchSize = try train.int("batch_size", in: 1...maxBatchSize),
            let rate = try train.double("learning_rate")
        else { throw UsageError("train_config needs epochs, batch_size and learning_rate") }
        let shown = NumberFormat.shortest(rate)
        guard rate > 0 else { throw UsageError("train_config.learning_rate must be positive, got \(shown)") }
        guard rate <= 1 else {
            throw UsageError("train_config.learning_rate \(shown) is too high; the maximum allowed is 1")
        }
        let kind: OptimizerConfig.Kind =
            try train.string("optimizer", choices: ["sgd", "adam"]).flatMap(OptimizerConfig.Kind.init) ?? .sgd
        let momentum = try train.double("momentum") ?? 0
        guard momentum >= 0, momentum < 1 else {
            throw UsageError("train_config.momentum must be in [0, 1), got \(NumberFormat.shortest(momentum))")
        }
        if kind == .adam, momentum != 0 {
            throw UsageError(
                "train_config.momentum applies to optimizer sgd only; Adam keeps its own "
                    + "moment estimates (remove momentum or use optimizer sgd)")
        }
        let mu = try train.double("proximal_mu") ?? 0
        guard mu >= 0, mu.isFinite else {
            throw UsageError(
                "train_config.proximal_mu must be a number ≥ 0 (FedProx's μ; 0 is plain FedAvg), "
                    + "got \(NumberFormat.shortest(mu))")
        }
        return NetworkTraining(
            epochs: epochs, batchSize: batchSize,
            optimizer: OptimizerConfig(kind: kind, learningRate: rate, momentum: momentum),
            shuffleSeed: shuffleSeed, proximalMu: mu)
    }

    /// A network's `model_config`, before the training settings join it.
    private struct Layout {
        var hidden: [Int]
        var inputSize: Int?
        var outputSize: Int?
        var task: Dataset.Task?
    }

    private static func layout(_ section: ConfigSection, caps: TrainCaps) throws(UsageError) -> Layout {
        let sizeRange = 1...caps.maxLayerSize
        var hidden: [Int]
        if let value = section.values["hidden_sizes"], !value.isNull {
            guard case .array(let items) = value, !items.isEmpty, items.count <= maxHiddenLayers else {
                throw UsageError(
                    "model_config.hidden_sizes must be a list of 1 to \(maxHiddenLayers) layer sizes, "
                        + "e.g. [64, 32]; got \(value.serialized())")
            }
            hidden = []
            for (index, item) in items.enumerated() {
                guard let size = item.intValue, size >= 1 else {
                    throw UsageError(
                        "model_config.hidden_sizes[\(index)] must be a whole number ≥ 1, "
                            + "got \(item.serialized())")
                }
                try checkLayer(size, "model_config.hidden_sizes[\(index)]", caps: caps)
                hidden.append(size)
            }
            if let single = try section.int("hidden_size", in: 1...Int.max), hidden != [single] {
                throw UsageError(
                    "model_config has hidden_size \(single) and hidden_sizes "
                        + "\(value.serialized()); give one of them")
            }
        } else if section.has("hidden_size") {
            guard let size = section.values["hidden_size"]?.intValue, size >= 1 else {
                throw UsageError(
                    "model_config.hidden_size must be a whole number ≥ 1, got "
                        + "\(section.values["hidden_size"]?.serialized() ?? "null")")
            }
            try checkLayer(size, "model_config.hidden_size", caps: caps)
            hidden = [size]
        } else {
            throw UsageError(
                "hidden_size is required in neural network configuration "
                    + "(model_config.hidden_size, or hidden_sizes for several layers)")
        }
        _ = try section.string("activation", choices: ["relu"])
        let task = try section.string("task", choices: ["classification", "regression"]).flatMap(Dataset.Task.init)
        return Layout(
            hidden: hidden, inputSize: try section.int("input_size", in: sizeRange),
            outputSize: try section.int("output_size", in: sizeRange), task: task)
    }

    private static func checkLayer(_ size: Int, _ key: String, caps: TrainCaps) throws(UsageError) {
        guard size <= caps.maxLayerSize else {
            throw UsageError(
                "\(key) is \(size) but this node allows layers of at most \(caps.maxLayerSize) units "
                    + "(TRAIN_MAX_LAYER_SIZE); ask for a smaller layer or raise TRAIN_MAX_LAYER_SIZE")
        }
    }

    private static func privacy(_ section: ConfigSection) throws(UsageError) -> PrivacyConfig {
        let enabled = try section.bool("differential_privacy") ?? false
        let clip = try section.double("l2_norm_clip")
        let noise = try section.double("noise_multiplier")
        if let clip, !(clip > 0) {
            throw UsageError("privacy_config.l2_norm_clip must be positive, got \(NumberFormat.shortest(clip))")
        }
        if let noise, noise < 0 {
            throw UsageError("privacy_config.noise_multiplier must be ≥ 0, got \(NumberFormat.shortest(noise))")
        }
        guard enabled else { return .off }
        guard let clip else {
            throw UsageError(
                "privacy_config.l2_norm_clip is required when differential_privacy is true "
                    + "(the L2 bound on the update, e.g. 1.0)")
        }
        guard let noise else {
            throw UsageError(
                "privacy_config.noise_multiplier is required when differential_privacy is true "
                    + "(σ = noise_multiplier × l2_norm_clip, e.g. 1.1)")
        }
        return PrivacyConfig(enabled: true, l2NormClip: clip, noiseMultiplier: noise)
    }

    /// `train_config` as used, for `metadata.config`.
    var effectiveTraining: JSON {
        var object: [String: JSON] = ["validation_fraction": .double(validationFraction)]
        if let training {
            object["epochs"] = .int(training.epochs)
            object["batch_size"] = .int(training.batchSize)
            object["learning_rate"] = .double(training.optimizer.learningRate)
            object["optimizer"] = .string(training.optimizer.kind.rawValue)
            if training.optimizer.kind == .sgd { object["momentum"] = .double(training.optimizer.momentum) }
            object["proximal_mu"] = .double(training.proximalMu)
        }
        return .object(object)
    }
}
