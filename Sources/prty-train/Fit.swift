import Foundation
import Shared

/// `prty-train [fit]`: reads a Dataset on stdin, trains the task's model on the local part (less the held-out
/// slice), and writes a model update on stdout.
struct Fit {
    static let command = Command(
        "fit", summary: "train the task's model on the dataset on stdin and write a model update",
        options: [
            Option(
                "task", short: "t", value: .single("FILE|JSON"),
                help: "the FL task (the server's Task or its config), as a file or inline JSON", completion: .file),
            Option(
                "model-type", value: .single("TYPE"), help: "override model_type",
                completion: .choices(ModelType.allCases.map(\.rawValue))),
            Option("hidden-sizes", value: .single("N,N…"), help: "override model_config.hidden_sizes, e.g. 64,32"),
            Option("epochs", value: .single("N"), help: "override train_config.epochs"),
            Option("batch-size", value: .single("N"), help: "override train_config.batch_size"),
            Option("learning-rate", value: .single("RATE"), help: "override train_config.learning_rate, in (0, 1]"),
            Option(
                "optimizer", value: .single("sgd|adam"), help: "override train_config.optimizer",
                completion: .choices(["sgd", "adam"])),
            Option(
                "validation-fraction", value: .single("F"),
                help: "override train_config.validation_fraction (held-out share, default 0.2)"),
            Option("seed", value: .single("N"), help: "override the session seed (initialisation, held-out split)"),
            Option(
                "global-model", value: .single("FILE"),
                help: "start from this model update or aggregate (overrides global_model)", completion: .file),
            Option(
                "deadline", value: .single("DURATION"),
                help: "give up (exit 1) if training has not finished within DURATION, e.g. 10m"),
        ],
        examples: [
            "prty-fetch CID | prty-partition --task task.json | prty-train --task task.json > update.json",
            "prty-train --model-type neural_network --hidden-sizes 16 --epochs 50 --batch-size 8 "
                + "--learning-rate 0.05 < iris.json",
            "prty-train --task task.json --global-model round-1-global.json < part.json > update.json",
        ],
        discussion: """
            The task's model_type picks the model: neural_network (model_config.hidden_size or hidden_sizes; \
            train_config.epochs, batch_size and learning_rate are required), linear_regression (the same \
            train_config) or random_forest (model_config with scikit-learn's keys and the seed's defaults). \
            Training starts from global_model when the task has one (a forest ignores it), else from the \
            initialisation every participant derives from the session seed. Networks train on standardised \
            features and fold the scaling back into the first layer, so the update is in the original units; \
            train_config.proximal_mu adds FedProx's proximal term. loss and accuracy (R² for regression) are \
            measured on the held-out train_config.validation_fraction of the local rows, or for a bootstrap \
            forest on its out-of-bag rows (every row then trains). \
            Operator caps: TRAIN_MAX_TREES, TRAIN_MAX_DEPTH, TRAIN_MAX_EPOCH_SAMPLES, TRAIN_MAX_LAYER_SIZE, \
            TRAIN_MAX_PARAMETERS (environment or .env). SIGINT/SIGTERM stop training between batches (exit 130).
            """)

    let config: TrainConfig
    let control: TrainingControl
    let log: Log

    init(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        var task = try arguments.value("task").map(TaskConfig.load) ?? .empty
        task = try Self.applyFlags(arguments, to: task)
        let settings = try Settings.load(arguments: arguments, log: invocation.log)
        let caps = try TrainCaps(settings: settings)
        config = try TrainConfig(task, caps: caps)
        if let text = arguments.value("deadline") {
            guard let seconds = try? GoDuration.seconds(text), seconds > 0 else {
                throw UsageError("--deadline expects a positive duration such as 90s, 10m or 1h30m, got '\(text)'")
            }
            control = .within(seconds: seconds, text: text)
        } else {
            control = .unlimited
        }
        log = invocation.log
    }

    init(config: TrainConfig, control: TrainingControl = .unlimited, log: Log) {
        self.config = config
        self.control = control
        self.log = log
    }

    func run() throws {
        let bytes = try Input.standardInput(what: "a dataset")
        let dataset = try DatasetReader.read(bytes)
        let update: ModelUpdate
        do {
            update = try fit(dataset)
        } catch {
            throw DivergenceError.explain(error, dataset: dataset, config: config)  // says what was seen
        }
        try FiniteCheck.members(update.members, document: "the model update")
        Tool.writeStdout(update.bytes)
    }

    /// Single fields from flags, written into the task config so they pass the same checks.
    static func applyFlags(_ arguments: Arguments, to task: TaskConfig) throws -> TaskConfig {
        var values = task.values
        func set(_ section: String, _ key: String, _ value: JSON) {
            var object = values[section]?.objectValue ?? [:]
            object[key] = value
            values[section] = .object(object)
        }
        if let type = arguments.value("model-type") { values["model_type"] = .string(type) }
        if let text = arguments.value("hidden-sizes") {
            let sizes = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw UsageError("--hidden-sizes expects layer sizes separated by commas, e.g. 64,32; got '\(text)'")
            }
            var model = values["model_config"]?.objectValue ?? [:]
            model["hidden_size"] = nil
            model["hidden_sizes"] = .ints(sizes.map { $0! })
            values["model_config"] = .object(model)
        }
        if let epochs = try arguments.int("epochs", in: 1...TrainConfig.maxEpochs) {
            set("train_config", "epochs", .int(epochs))
        }
        if let size = try arguments.int("batch-size", in: 1...TrainConfig.maxBatchSize) {
            set("train_config", "batch_size", .int(size))
        }
        if let text = arguments.value("learning-rate") {
            guard let rate = Double(text), rate.isFinite, rate > 0, rate <= 1 else {
                throw UsageError("--learning-rate expects a number in (0, 1], got '\(text)'")
            }
            set("train_config", "learning_rate", .double(rate))
        }
        if let optimizer = arguments.value("optimizer") { set("train_config", "optimizer", .string(optimizer)) }
        if let fraction = try arguments.double("validation-fraction", in: TrainConfig.validationFractionRange) {
            set("train_config", "validation_fraction", .double(fraction))
        }
        if let text = arguments.value("seed") {
            guard let seed = UInt64(text) else {
                throw UsageError("--seed expects a whole number from 0 to 18446744073709551615, got '\(text)'")
            }
            values["seed"] = .uint64(seed)
        }
        if let path = arguments.value("global-model") {
            let bytes = try Input.file(path)
            do { values["global_model"] = try JSONParser.parse(bytes) } catch {
                throw UsageError("--global-model \(path): \(error.message)")
            }
        }
        return try TaskConfig(values)
    }

    // MARK: Fitting

    /// Trains on `dataset` and builds the update. Pure apart from the clock and, with differential privacy,
    /// the system CSPRNG.
    func fit(_ dataset: Dataset) throws -> ModelUpdate {
        try Self.checkData(dataset)
        // A forest with out-of-bag rows measures itself on them, so it holds nothing out and every row trains.
        let outOfBag = forestHasOutOfBagRows(dataset)
        let split = ValidationSplit(
            rows: dataset.count, fraction: outOfBag ? 0 : config.validationFraction, seed: config.seed)
        let training = dataset.subset(split.training)
        // nil: nothing held out, so the metrics are the training rows' (computed once).
        let validation = split.validation.isEmpty ? nil : dataset.subset(split.validation)
        if split.validation.isEmpty, config.validationFraction > 0, !outOfBag {
            log.warning(
                "validation_empty",
                "too few rows to hold any out: loss and accuracy are measured on "
                    + "the \(training.count) training rows")
        }
        if config.ignoredGlobalModel {
            log.info(
                "global_model_ignored",
                "a random forest ignores global_model (averaged trees mean nothing); "
                    + "forests are combined by 'prty-train aggregate'")
        }
        let started = Monotonic.seconds()
        var result: FitResult
        switch config.modelType {
        case .neuralNetwork: result = try fitNetwork(dataset, training: training, validation: validation)
        case .linearRegression: result = try fitLinear(dataset, training: training, validation: validation)
        case .randomForest: result = try fitForest(dataset, training: training, validation: validation)
        }
        let seconds = Monotonic.seconds() - started
        guard ModelUpdate.isFinite(result.weights), ModelUpdate.isFinite(result.gradients),
            result.validation.loss.isFinite, result.validation.accuracy.isFinite
        else {
            throw TrainError.diverged(
                epoch: config.training?.epochs ?? 0, batch: 0,
                learningRate: config.training?.optimizer.learningRate ?? 0)
        }

        var metadata = result.metadata
        metadata["format"] = .string(ModelUpdate.format)
        metadata["model_type"] = .string(config.modelType.rawValue)
        metadata["task"] = .string(result.task.rawValue)
        metadata["metric"] = .string(result.task == .classification ? "accuracy" : "r2")
        if result.task == .classification { metadata["classes"] = .doubles(dataset.classes) }
        if let names = dataset.labelNames, result.task == .classification { metadata["label_names"] = .strings(names) }
        metadata["feature_count"] = .int(dataset.width)
        if let names = dataset.featureNames { metadata["feature_names"] = .strings(names) }
        metadata["seed"] = .uint64(config.seed)
        metadata["start"] = .string(config.globalModel == nil ? "initialisation" : "global_model")
        var trainingMetrics = result.training?.json.objectValue ?? [:]
        trainingMetrics["samples"] = .int(training.count)
        if let history = result.history, history.count <= 1000, history.allSatisfy(\.isFinite) {
            trainingMetrics["epoch_loss"] = .doubles(history)
        }
        if let extra = result.trainingExtra { trainingMetrics.merge(extra) { $1 } }
        metadata["training"] = .object(trainingMetrics)
        let measuredOn = result.measuredOn ?? (split.validation.isEmpty ? "training" : "held_out")
        metadata["validation"] = [
            "samples": .int(result.measuredOn == nil ? split.validation.count : training.count),
            "fraction": .double(outOfBag ? 0 : config.validationFraction), "measured_on": .string(measuredOn),
        ]
        var dataInfo: [String: JSON] = [:]
        if let source = dataset.source { dataInfo["source"] = source }
        if let partition = dataset.partition { dataInfo["partition"] = partition }
        if !dataInfo.isEmpty { metadata["dataset"] = .object(dataInfo) }
        metadata["config"] = [
            "model_config": result.effectiveModel, "train_config": config.effectiveTraining,
            "privacy_config": config.privacy.effective,
        ]

        let metric = result.task == .classification ? "accuracy" : "R²"
        log.info(
            "trained",
            "trained on \(training.count) rows in \(Self.round(seconds)) s: "
                + "\(measuredOn.replacingOccurrences(of: "_", with: "-")) \(metric) "
                + "\(Self.round(result.validation.accuracy)), "
                + "loss \(Self.round(result.validation.loss))",
            [
                "rows": .int(training.count), "accuracy": .double(result.validation.accuracy),
                "loss": .double(result.validation.loss), "seconds": .double(seconds),
            ])
        return ModelUpdate(
            sessionID: config.sessionID, roundID: config.roundID, weights: result.weights,
            gradients: result.gradients, dataSize: training.count, loss: result.validation.loss,
            accuracy: result.validation.accuracy, trainingSeconds: seconds, metadata: metadata,
            privacy: result.privacy)
    }

    /// What each model family hands back to `fit`.
    struct FitResult {
        var task: Dataset.Task
        var weights: [String: [Double]]
        var gradients: [String: [Double]]
        var validation: Metrics
        /// On the training rows; nil for a forest with a held-out slice (its out-of-bag score says more, and
        /// scoring every training row through every tree would cost a good share of the fit).
        var training: Metrics?
        var history: [Double]?
        var trainingExtra: [String: JSON]?
        var effectiveModel: JSON
        var metadata: [String: JSON]
        var privacy: PrivacyReport?
        /// Where `validation` was measured when not on the held-out slice or the training rows ("out_of_bag").
        var measuredOn: String? = nil
    }

    /// Whether the task trains a forest whose trees leave rows out of their samples (bootstrap, or subsample
    /// below 1): its loss and accuracy then come from those out-of-bag rows.
    func forestHasOutOfBagRows(_ dataset: Dataset) -> Bool {
        guard config.modelType == .randomForest, dataset.task == .classification, let section = config.forestSection,
            let forest = try? ForestConfig(
                section, classes: dataset.classes, featureCount: dataset.width, seed: config.seed, caps: config.caps)
        else { return false }
        return forest.bootstrap || forest.subsample < 1
    }

    /// Checks that hold for every model: rows, columns, finite numbers.
    static func checkData(_ dataset: Dataset) throws(TrainError) {
        guard dataset.count > 0 else {
            throw TrainError.data("the dataset has no rows: there is nothing to train on (check the partition)")
        }
        guard dataset.width > 0 else { throw TrainError.data("the dataset has no feature columns") }
        if let index = dataset.features.firstIndex(where: { !$0.isFinite }) {
            throw TrainError.data(
                "feature row \(index / dataset.width), column \(index % dataset.width) is not "
                    + "a finite number")
        }
        if let row = dataset.labels.firstIndex(where: { !$0.isFinite }) {
            throw TrainError.data("label of row \(row) is not a finite number")
        }
    }

    private func checkEpochSamples(_ training: NetworkTraining, rows: Int) throws(TrainError) {
        let (visits, overflow) = training.epochs.multipliedReportingOverflow(by: rows)
        guard !overflow, visits <= config.caps.maxEpochSamples else {
            throw TrainError.config(
                "train_config.epochs \(training.epochs) × \(rows) training rows exceeds this "
                    + "node's cap of \(config.caps.maxEpochSamples) sample visits (TRAIN_MAX_EPOCH_SAMPLES); ask for "
                    + "fewer epochs or raise TRAIN_MAX_EPOCH_SAMPLES")
        }
    }

    /// Applies differential privacy to `local − start` when the task asks for it; returns the weights and
    /// delta to send.
    private func privatise(local: [String: [Double]], start: [String: [Double]])
        -> (weights: [String: [Double]], delta: [String: [Double]], report: PrivacyReport?)
    {
        var delta = ModelUpdate.difference(local, start)
        guard config.privacy.enabled else { return (local, delta, nil) }
        var noise = PrivacyNoise()
        let report = Privacy.apply(to: &delta, config: config.privacy, noise: &noise)
        return (ModelUpdate.sum(start, delta), delta, report)
    }

    // MARK: Neural network

    private func fitNetwork(_ dataset: Dataset, training: Dataset, validation: Dataset?) throws -> FitResult {
        let network = config.network!
        let settings = config.training!
        let task = network.task ?? dataset.task
        if task == .classification {
            guard dataset.task == .classification else {
                throw TrainError.data(
                    "model_config.task is classification but the dataset's labels are continuous "
                        + "(its task is regression); use task regression or a dataset of class labels")
            }
            guard dataset.classes.count >= 2 else {
                throw TrainError.data(
                    "classification needs at least 2 classes; the dataset's classes are "
                        + "[\(dataset.classes.map(NumberFormat.shortest).joined(separator: ", "))]")
            }
        }
        let outputs = task == .classification ? dataset.classes.count : 1
        if let inputSize = network.inputSize, inputSize != dataset.width {
            throw TrainError.data(
                "model_config.input_size is \(inputSize) but the dataset has \(dataset.width) "
                    + "features")
        }
        if let outputSize = network.outputSize, outputSize != outputs {
            throw TrainError.data(
                "model_config.output_size is \(outputSize) but the network needs \(outputs) "
                    + (task == .classification
                        ? "outputs, one per class of the dataset's classes" : "output for regression"))
        }
        for (what, size) in [
            ("the dataset's \(dataset.width) features", dataset.width),
            ("the dataset's \(outputs) classes", outputs),
        ] where size > config.caps.maxLayerSize {
            throw TrainError.config(
                "a layer for \(what) exceeds this node's cap of \(config.caps.maxLayerSize) "
                    + "units (TRAIN_MAX_LAYER_SIZE)")
        }
        let sizes = [dataset.width] + network.hidden + [outputs]
        guard let count = NetworkShape.parameterCount(sizes: sizes), count <= config.caps.maxParameters else {
            throw TrainError.config(
                "a \(sizes.map(String.init).joined(separator: "-")) network has more than "
                    + "\(config.caps.maxParameters) parameters, this node's cap (TRAIN_MAX_PARAMETERS); ask for smaller "
                    + "hidden layers or raise TRAIN_MAX_PARAMETERS")
        }
        try checkEpochSamples(settings, rows: training.count)
        let shape = NetworkShape(inputs: dataset.width, hidden: network.hidden, outputs: outputs, task: task)

        // Training runs on standardised features (NeuralNetwork+Standardisation): `start` is in original units
        // (what the delta is taken from), `local` the same network for standardised inputs. Without a global
        // model the seed's initialisation is drawn for standardised inputs, so it suits any feature scale.
        func targets(_ data: Dataset) throws -> NeuralNetwork.Targets {
            task == .classification
                ? .classes(try ClassIndex.indices(of: data.labels, classes: dataset.classes, what: "the dataset's"))
                : .values(data.labels)
        }
        let trainingTargets = try targets(training)
        var classIndex: [Int]? = nil
        if case .classes(let indices) = trainingTargets { classIndex = indices }
        let scaling = Standardisation.network(
            training.features, rows: training.count, width: dataset.width, classIndex: classIndex,
            classCounts: task == .classification ? Standardisation.sessionClassCounts(dataset) : nil)
        let start: NeuralNetwork
        var local: NeuralNetwork
        if let global = config.globalModel {
            if let given = NeuralNetwork.inferShape(from: global.weights, task: task), given.inputs != dataset.width {
                throw TrainError.data(
                    "the global model takes \(given.inputs) features but the dataset has "
                        + "\(dataset.width)")
            }
            start = try NeuralNetwork(shape: shape, weights: global.weights, source: "global_model")
            try GlobalModelCheck.network(global, shape: shape, classes: dataset.classes)
            local = start.standardised(scaling)
        } else {
            local = NeuralNetwork.initial(shape, seed: config.seed)
            start = local.unstandardised(scaling)
        }
        let optimizer = settings.optimizer
        log.info(
            "training",
            "training neural_network \(shape) on \(training.count) rows "
                + "(\(dataset.count - training.count) held out): \(settings.epochs) epochs, batch \(settings.batchSize), "
                + "\(optimizer.kind.rawValue) learning rate \(NumberFormat.shortest(optimizer.learningRate))",
            ["architecture": .string(shape.description), "rows": .int(training.count)])
        let history = try local.train(
            features: scaling.apply(training.features, rows: training.count), rows: training.count,
            targets: trainingTargets, settings: settings, control: control, log: log)
        var model = local.unstandardised(scaling)
        let (weights, delta, report) = privatise(local: model.weights(), start: start.weights())
        if report != nil { model = try NeuralNetwork(shape: shape, weights: weights, source: "the private update") }
        let trainingMetrics = model.evaluate(training.features, rows: training.count, targets: trainingTargets)
        let validationMetrics =
            try validation.map { data in
                model.evaluate(data.features, rows: data.count, targets: try targets(data))
            } ?? trainingMetrics
        return FitResult(
            task: task, weights: weights, gradients: delta, validation: validationMetrics, training: trainingMetrics,
            history: history, trainingExtra: ["epochs": .int(settings.epochs)],
            effectiveModel: [
                "hidden_sizes": .ints(network.hidden), "activation": "relu", "task": .string(task.rawValue),
                "input_size": .int(dataset.width), "output_size": .int(outputs),
            ],
            metadata: ["architecture": shape.architecture, "input_scaling": Standardisation.metadata],
            privacy: report)
    }

    // MARK: Linear regression

    private func fitLinear(_ dataset: Dataset, training: Dataset, validation: Dataset?) throws -> FitResult {
        let settings = config.training!
        if let inputSize = config.linear?.inputSize, inputSize != dataset.width {
            throw TrainError.data(
                "model_config.input_size is \(inputSize) but the dataset has \(dataset.width) "
                    + "features")
        }
        try checkEpochSamples(settings, rows: training.count)
        let start =
            try config.globalModel.map { global throws(TrainError) in
                try LinearRegression(weights: global.weights, inputs: dataset.width, source: "global_model")
            } ?? LinearRegression.initial(inputs: dataset.width)
        // Linear regression needs numeric targets: class names are refused; integer labels (inferred as
        // classification) are trained on as numbers, with a warning (docs/formats.md).
        if let names = dataset.labelNames {
            throw TrainError.data(
                "linear_regression needs numeric targets, but this dataset's labels are class names "
                    + "(\(Excerpt.of(names.prefix(5).joined(separator: ", ")))\(names.count > 5 ? ", …" : "")); "
                    + "use neural_network or random_forest for classification")
        }
        if dataset.task == .classification {
            log.warning(
                "classification_labels",
                "the dataset is marked classification (integer labels); linear_regression treats the labels as "
                    + "numbers (give prty-fetch --regression to mark them so)")
        }
        let optimizer = settings.optimizer
        log.info(
            "training",
            "training linear_regression on \(training.count) rows × \(dataset.width) features "
                + "(\(dataset.count - training.count) held out): \(settings.epochs) epochs, batch \(settings.batchSize), "
                + "\(optimizer.kind.rawValue) learning rate \(NumberFormat.shortest(optimizer.learningRate))",
            ["rows": .int(training.count)])
        var model = start
        let history = try model.train(
            features: training.features, rows: training.count, targets: training.labels, settings: settings,
            control: control, log: log)
        let (weights, delta, report) = privatise(local: model.weightMap(), start: start.weightMap())
        if report != nil { model = try LinearRegression(weights: weights, inputs: dataset.width, source: "update") }
        let trainingMetrics = model.evaluate(training.features, rows: training.count, targets: training.labels)
        return FitResult(
            task: .regression, weights: weights, gradients: delta,
            validation: validation.map { model.evaluate($0.features, rows: $0.count, targets: $0.labels) }
                ?? trainingMetrics,
            training: trainingMetrics,
            history: history, trainingExtra: ["epochs": .int(settings.epochs)],
            effectiveModel: ["input_size": .int(dataset.width), "task": "regression"],
            metadata: ["architecture": ["inputs": .int(dataset.width), "outputs": 1, "task": "regression"]],
            privacy: report)
    }

    // MARK: Random forest

    /// The common part around `RandomForest.fit`: the held-out metrics (accuracy and log-loss from the
    /// predicted probabilities), the weights and `metadata.forest`. A forest has no starting point, so its
    /// "delta" is the model itself; only `feature_importance` is sent under `gradients`, since a difference
    /// of trees means nothing and would double the document.
    private func fitForest(_ dataset: Dataset, training: Dataset, validation: Dataset?) throws -> FitResult {
        guard dataset.task == .classification else {
            throw TrainError.data(
                "random_forest is a classifier but the dataset's labels are continuous (its task "
                    + "is regression); use linear_regression or neural_network for regression labels")
        }
        let forestConfig = try ForestConfig(
            config.forestSection!, classes: dataset.classes, featureCount: dataset.width, seed: config.seed,
            caps: config.caps)
        log.info(
            "training",
            "training random_forest on \(training.count) rows × \(dataset.width) features "
                + "(\(dataset.count - training.count) held out)", ["rows": .int(training.count)])
        try Interruption.check()
        let (forest, outOfBag) = try RandomForest.fitMeasured(
            training, config: forestConfig, log: log, control: control,
            threads: ProcessInfo.processInfo.activeProcessorCount, outOfBag: validation == nil)
        try Interruption.check()
        func metrics(_ data: Dataset) throws -> Metrics {
            Metrics.classification(
                probabilities: forest.predictProbabilities(data), classCount: forest.classes.count,
                targets: try ClassIndex.indices(of: data.labels, classes: forest.classes, what: "the forest's"))
        }
        let trainingMetrics = validation == nil && outOfBag == nil ? try metrics(training) : nil
        var extra: [String: JSON] = ["trees": .int(forest.trees.count)]
        if let oob = forest.oobScore, oob.isFinite { extra["oob_score"] = .double(oob) }
        return FitResult(
            task: .classification, weights: forest.weights(),
            gradients: ["feature_importance": forest.featureImportance],
            validation: try validation.map(metrics) ?? outOfBag ?? trainingMetrics!, training: trainingMetrics,
            history: nil, trainingExtra: extra, effectiveModel: forestConfig.effective,
            metadata: ["forest": forest.metadata(), "feature_importance": .doubles(forest.featureImportance)],
            privacy: nil, measuredOn: outOfBag == nil ? nil : "out_of_bag")
    }

    static func round(_ value: Double) -> String { NumberFormat.shortest((value * 10_000).rounded() / 10_000) }
}
