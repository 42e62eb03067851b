import Foundation
import Shared

extension Fit {
    /// Trains a network on `training` (standardised inside, docs/federated-learning.md §4.1) from the global
    /// model or the seed's initialisation.
    func fitNetwork(_ network: TrainConfig.NetworkConfig, _ dataset: Dataset, training: Dataset, validation: Dataset?)
        throws -> FitResult
    {
        let settings = network.training
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
        if let global = network.globalModel {
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
}
