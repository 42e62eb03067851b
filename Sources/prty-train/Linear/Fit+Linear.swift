import Foundation
import Shared

extension Fit {
    /// Trains a linear regression on `training` from the global model or zeros (docs/federated-learning.md §4.2).
    func fitLinear(_ linear: TrainConfig.LinearConfig, _ dataset: Dataset, training: Dataset, validation: Dataset?)
        throws -> FitResult
    {
        let settings = linear.training
        if let inputSize = linear.inputSize, inputSize != dataset.width {
            throw TrainError.data(
                "model_config.input_size is \(inputSize) but the dataset has \(dataset.width) "
                    + "features")
        }
        try checkEpochSamples(settings, rows: training.count)
        let start =
            try linear.globalModel.map { global throws(TrainError) in
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
}
