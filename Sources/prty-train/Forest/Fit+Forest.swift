import Foundation
import Shared

extension Fit {
    /// The common part around `RandomForest.fit`: the held-out metrics (accuracy and log-loss from the
    /// predicted probabilities), the weights and `metadata.forest`. A forest has no starting point, so its
    /// "delta" is the model itself; only `feature_importance` is sent under `gradients`, since a difference
    /// of trees means nothing and would double the document.
    func fitForest(_ section: TrainConfig.ForestSection, _ dataset: Dataset, training: Dataset, validation: Dataset?)
        throws -> FitResult
    {
        guard dataset.task == .classification else {
            throw TrainError.data(
                "random_forest is a classifier but the dataset's labels are continuous (its task "
                    + "is regression); use linear_regression or neural_network for regression labels")
        }
        let forestConfig = try ForestConfig(
            section.section, classes: dataset.classes, featureCount: dataset.width, seed: config.seed,
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
}
