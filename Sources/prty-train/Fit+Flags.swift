import Foundation
import Shared

extension Fit {
    /// `--task FILE|JSON`, for `fit` and `simulate` (`help` says what the task must hold).
    static func taskOption(help: String) -> Option {
        Option("task", short: "t", value: .single("FILE|JSON"), help: help, completion: .file)
    }

    /// `--task` (the empty task without it) with the single-field flags written in.
    static func task(_ arguments: Arguments) throws -> TaskConfig {
        try applyFlags(arguments, to: try arguments.value("task").map(TaskConfig.load) ?? .empty)
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
}
