import Shared

/// A trained model ready to predict, rebuilt from a model update or an aggregate (ours or the server's). A
/// document without metadata (the server's aggregate) is read by its tensor names, with the task and classes
/// taken from the dataset it is applied to.
struct LoadedModel {
    enum Family {
        case network(NeuralNetwork)
        case linear(LinearRegression)
        case forest(RandomForest)
    }

    var family: Family
    var task: Dataset.Task
    /// Classification: the label value of each output.
    var classes: [Double]
    var labelNames: [String]?

    init(_ document: ModelDocument, dataset: Dataset, source: String) throws {
        guard let type = document.modelType else {
            throw TrainError.data(
                "\(source) does not say which model it holds and its tensors "
                    + "(\(document.weights.keys.sorted().joined(separator: ", "))) match none of \(ModelType.names)")
        }
        guard dataset.count > 0 else {
            throw TrainError.data("the dataset has no rows: there is nothing to apply the model in \(source) to")
        }
        labelNames = document.labelNames ?? dataset.labelNames
        switch type {
        case .neuralNetwork:
            let task = document.task ?? dataset.task
            let shape: NetworkShape
            if let architecture = document.metadata["architecture"], let inputs = architecture["inputs"]?.intValue,
                let outputs = architecture["outputs"]?.intValue,
                let hidden = architecture["hidden_sizes"]?.arrayValue?.compactMap(\.intValue),
                inputs > 0, outputs > 0, hidden.allSatisfy({ $0 > 0 })
            {
                shape = NetworkShape(inputs: inputs, hidden: hidden, outputs: outputs, task: task)
            } else if let inferred = NeuralNetwork.inferShape(from: document.weights, task: task) {
                shape = inferred
            } else {
                throw TrainError.data("\(source) holds layer tensors whose lengths do not form a network")
            }
            guard shape.inputs == dataset.width else {
                throw TrainError.data(
                    "the model in \(source) takes \(shape.inputs) features but the dataset has "
                        + "\(dataset.width)")
            }
            let network: NeuralNetwork
            do { network = try NeuralNetwork(shape: shape, weights: document.weights, source: source) } catch {
                throw TrainError.data(error.description)
            }
            family = .network(network)
            self.task = task
            classes = task == .classification ? (document.classes ?? dataset.classes) : []
            if task == .classification, classes.count != shape.outputs {
                throw TrainError.data(
                    "the model in \(source) has \(shape.outputs) outputs but \(classes.count) "
                        + "classes are known for it")
            }
        case .linearRegression:
            do {
                family = .linear(try LinearRegression(weights: document.weights, inputs: dataset.width, source: source))
            } catch {
                throw TrainError.data(error.description)
            }
            task = .regression
            classes = []
        case .randomForest:
            guard let forestMetadata = document.metadata["forest"] else {
                throw TrainError.data(
                    "\(source) holds a random forest but no metadata.forest to rebuild its trees "
                        + "from; use a model update or aggregate written by prty-train")
            }
            let forest = try RandomForest(metadata: forestMetadata)
            // Every loaded model is checked against the data before use: a forest reads feature_count columns.
            guard forest.featureCount == dataset.width else {
                throw TrainError.data(
                    "the random forest in \(source) takes \(forest.featureCount) features but the dataset has "
                        + "\(dataset.width)")
            }
            if let documented = document.classes, documented != forest.classes {
                throw TrainError.data(
                    "\(source) says its classes are \(Excerpt.of(JSON.doubles(documented).serialized())) but its "
                        + "trees vote for \(Excerpt.of(JSON.doubles(forest.classes).serialized()))")
            }
            family = .forest(forest)
            task = .classification
            classes = forest.classes
        }
    }

    static let nonFiniteHint =
        "The model's weights are too large for this data (the outputs overflow); check the model for diverged "
        + "weights, or the data for values far outside the range it was trained on."

    /// A forest combines its members' trees by `voting` instead of the way its document says (no effect on other
    /// models).
    mutating func overrideVoting(_ voting: RandomForest.Voting?) {
        guard let voting, case .forest(var forest) = family else { return }
        forest.voting = voting
        family = .forest(forest)
    }

    /// Class probabilities (rows × classes) for classification, one value per row for regression.
    func outputs(_ data: Dataset) -> [Double] {
        switch family {
        case .network(let network): network.outputs(data.features, rows: data.count)
        case .linear(let linear): linear.predict(data.features, rows: data.count)
        case .forest(let forest): forest.predictProbabilities(data)
        }
    }

    /// Loss and accuracy (R² for regression) on `data`'s labels.
    func evaluate(_ data: Dataset) throws -> Metrics {
        let out = outputs(data)
        guard task == .classification else { return Metrics.regression(predictions: out, targets: data.labels) }
        let targets = try ClassIndex.indices(of: data.labels, classes: classes, what: "the model's")
        return Metrics.classification(probabilities: out, classCount: classes.count, targets: targets)
    }

    /// One predicted value per row: the most probable class's label value (ties to the smaller class), or
    /// the regression output.
    func predictions(_ data: Dataset) -> (values: [Double], probabilities: [Double]?) {
        let out = outputs(data)
        guard task == .classification else { return (out, nil) }
        let k = classes.count
        var values = [Double]()
        values.reserveCapacity(data.count)
        for row in 0..<data.count {
            var best = 0
            for c in 1..<max(k, 1) where out[row * k + c] > out[row * k + best] { best = c }
            values.append(classes[best])
        }
        return (values, out)
    }

    /// A label value as people know it: its name when the dataset's labels were strings.
    func label(_ value: Double) -> JSON {
        if let labelNames, value >= 0, value == value.rounded(), Int(value) < labelNames.count {
            return .string(labelNames[Int(value)])
        }
        return .double(value)
    }
}
