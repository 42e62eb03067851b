import Shared

extension Fit {
    /// The update's `metadata` (docs/formats.md §5): the model's own part from `result`, then what every model
    /// reports (format, type, task and metric, classes, features, seed, start, training and validation figures,
    /// the dataset's provenance and the configuration used); and where the reported metrics were measured.
    func metadata(
        _ result: FitResult, dataset: Dataset, trainingRows: Int, validationRows: Int, outOfBag: Bool
    ) -> (metadata: [String: JSON], measuredOn: String) {
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
        trainingMetrics["samples"] = .int(trainingRows)
        if let history = result.history, history.count <= 1000, history.allSatisfy(\.isFinite) {
            trainingMetrics["epoch_loss"] = .doubles(history)
        }
        if let extra = result.trainingExtra { trainingMetrics.merge(extra) { $1 } }
        metadata["training"] = .object(trainingMetrics)
        let measuredOn = result.measuredOn ?? (validationRows == 0 ? "training" : "held_out")
        metadata["validation"] = [
            "samples": .int(result.measuredOn == nil ? validationRows : trainingRows),
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

        return (metadata, measuredOn)
    }
}
