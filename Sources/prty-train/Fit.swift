import Foundation
import Shared

/// `prty-train [fit]`: reads a Dataset on stdin, trains the task's model on the local part (less the held-out
/// slice), and writes a model update on stdout.
struct Fit {
    static let command = Command(
        "fit", summary: "train the task's model on the dataset on stdin and write a model update",
        options: [
            taskOption(help: "the FL task (the server's Task or its config), as a file or inline JSON"),
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
        let task = try Self.task(arguments)
        config = try TrainConfig(task, caps: try TrainCaps(arguments: arguments, log: invocation.log))
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
            throw DivergenceHint.explain(error, dataset: dataset, config: config)  // says what was seen
        }
        try FiniteCheck.members(update.members, document: "the model update")
        Tool.writeStdout(update.bytes)
    }
}
