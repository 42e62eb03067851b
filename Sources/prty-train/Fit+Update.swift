import Foundation
import Shared

/// `fit`'s orchestration: the checks every model shares, the held-out split, the model's own fit
/// (`Fit+Network`, `Fit+Linear`, `Fit+Forest`), differential privacy and the final update.
extension Fit {
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
        if case .randomForest(let forest) = config.model, forest.ignoredGlobalModel {
            log.info(
                "global_model_ignored",
                "a random forest ignores global_model (averaged trees mean nothing); "
                    + "forests are combined by 'prty-train aggregate'")
        }
        let started = Monotonic.seconds()
        var result: FitResult
        switch config.model {
        case .neuralNetwork(let network):
            result = try fitNetwork(network, dataset, training: training, validation: validation)
        case .linearRegression(let linear):
            result = try fitLinear(linear, dataset, training: training, validation: validation)
        case .randomForest(let forest):
            result = try fitForest(forest, dataset, training: training, validation: validation)
        }
        let seconds = Monotonic.seconds() - started
        guard ModelUpdate.isFinite(result.weights), ModelUpdate.isFinite(result.gradients),
            result.validation.loss.isFinite, result.validation.accuracy.isFinite
        else {
            throw TrainError.diverged(
                epoch: config.training?.epochs ?? 0, batch: 0,
                learningRate: config.training?.optimizer.learningRate ?? 0)
        }

        let (metadata, measuredOn) = self.metadata(
            result, dataset: dataset, trainingRows: training.count, validationRows: split.validation.count,
            outOfBag: outOfBag)
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

    /// Whether the task trains a forest whose trees leave rows out of their samples (bootstrap, or subsample
    /// below 1): its loss and accuracy then come from those out-of-bag rows.
    func forestHasOutOfBagRows(_ dataset: Dataset) -> Bool {
        guard case .randomForest(let section) = config.model, dataset.task == .classification,
            let forest = try? ForestConfig(
                section.section, classes: dataset.classes, featureCount: dataset.width, seed: config.seed,
                caps: config.caps)
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

    func checkEpochSamples(_ training: NetworkTraining, rows: Int) throws(TrainError) {
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
    func privatise(local: [String: [Double]], start: [String: [Double]])
        -> (weights: [String: [Double]], delta: [String: [Double]], report: PrivacyReport?)
    {
        var delta = ModelUpdate.difference(local, start)
        guard config.privacy.enabled else { return (local, delta, nil) }
        var noise = PrivacyNoise()
        let report = Privacy.apply(to: &delta, config: config.privacy, noise: &noise)
        return (ModelUpdate.sum(start, delta), delta, report)
    }


    /// A figure for people's lines: four decimals at most.
    static func round(_ value: Double) -> String { NumberFormat.shortest((value * 10_000).rounded() / 10_000) }
}
