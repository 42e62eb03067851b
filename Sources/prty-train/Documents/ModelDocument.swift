import Shared

/// The three model families of the FL config's `model_type`.
enum ModelType: String, Sendable, CaseIterable {
    case neuralNetwork = "neural_network"
    case linearRegression = "linear_regression"
    case randomForest = "random_forest"

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// "a neural network", for messages.
    var phrase: String {
        switch self {
        case .neuralNetwork: "a neural network"
        case .linearRegression: "a linear regression"
        case .randomForest: "a random forest"
        }
    }
}

/// A model as a document carries it: a model update written by `fit`, or an aggregate (ours, or the server's
/// AggregationResult `{method, aggregated_model, weights, gradients, global_metrics, participant_count}`).
/// Only the shape is checked here; whether the tensors fit a network is the model's business.
struct ModelDocument: Sendable {
    enum Kind: String, Sendable { case update, aggregate }

    var kind: Kind
    var weights: [String: [Double]]
    var gradients: [String: [Double]]?
    /// `metadata` (ours carry `format`, `model_type`, `classes`, `architecture`, …); empty for the server's.
    var metadata: [String: JSON]
    /// Rows behind the model: an update's `data_size`, an aggregate's `metadata.data_size`.
    var dataSize: Int?
    var loss: Double?
    var accuracy: Double?
    var participantCount: Int
    var sessionID: String?
    var roundID: String?

    /// How a problem with the document is reported: a `global_model` inside the task is a config error (64),
    /// a model file or an update to aggregate is bad input data (65).
    enum Role: Sendable {
        case taskConfig, input
        func error(_ message: String) -> TrainError {
            self == .taskConfig ? .config(message) : .data(message)
        }
    }

    /// Reads `json`; `source` names it in every error ("global_model", "update.json", "stdin line 2").
    init(_ json: JSON, source: String, role: Role) throws(TrainError) {
        guard case .object(let object) = json else {
            throw role.error("\(source) must be a JSON object (a model update or an aggregate), got \(json.typeName)")
        }
        let isAggregate =
            object["aggregated_model"] != nil || object["participant_count"] != nil
            || object["global_metrics"] != nil
        kind = isAggregate ? .aggregate : .update
        var weights = try Self.tensors(object["weights"], "\(source) weights", role: role) ?? [:]
        if weights.isEmpty, isAggregate {  // the server falls back to averaged gradients when no update had weights
            weights = try Self.tensors(object["aggregated_model"], "\(source) aggregated_model", role: role) ?? [:]
        }
        guard !weights.isEmpty else {
            throw role.error(
                "\(source) holds no weights: expected a model update or an aggregate with a "
                    + "'weights' map of name → numbers")
        }
        self.weights = weights
        gradients = try Self.tensors(object["gradients"], "\(source) gradients", role: role)
        if let value = object["metadata"], !value.isNull {
            guard case .object(let members) = value else {
                throw role.error("\(source) metadata must be an object, got \(value.typeName)")
            }
            metadata = members
        } else {
            metadata = [:]
        }
        if let format = metadata["format"], format.stringValue != ModelUpdate.format {
            throw role.error(
                "\(source) is in format \(format.serialized()); this prty-train reads "
                    + "\"\(ModelUpdate.format)\"")
        }
        func number(_ value: JSON?, _ name: String) throws(TrainError) -> Double? {
            guard let value, !value.isNull else { return nil }
            guard let number = value.doubleValue, number.isFinite else {
                throw role.error("\(source) \(name) must be a number, got \(value.serialized())")
            }
            return number
        }
        func count(_ value: JSON?, _ name: String) throws(TrainError) -> Int? {
            guard let value, !value.isNull else { return nil }
            guard let number = value.intValue, number >= 0 else {
                throw role.error("\(source) \(name) must be a whole number ≥ 0, got \(value.serialized())")
            }
            return number
        }
        if isAggregate {
            let globalMetrics = object["global_metrics"]
            loss = try number(globalMetrics?["average_loss"], "global_metrics.average_loss")
            accuracy = try number(globalMetrics?["average_accuracy"], "global_metrics.average_accuracy")
            dataSize = try count(metadata["data_size"], "metadata.data_size")
            participantCount = try count(object["participant_count"], "participant_count") ?? 1
        } else {
            loss = try number(object["loss"], "loss")
            accuracy = try number(object["accuracy"], "accuracy")
            dataSize = try count(object["data_size"], "data_size")
            participantCount = 1
        }
        sessionID = object["session_id"]?.stringValue
        roundID = object["round_id"]?.stringValue
    }

    /// `metadata.model_type`, else what the tensor names say.
    var modelType: ModelType? {
        if let name = metadata["model_type"]?.stringValue, let type = ModelType(rawValue: name) { return type }
        if weights["trees"] != nil { return .randomForest }
        if Set(weights.keys) == ["weights", "bias"] { return .linearRegression }
        if weights["layer_0_weights"] != nil { return .neuralNetwork }
        return nil
    }

    /// `metadata.classes`, if the document has them.
    var classes: [Double]? { metadata["classes"]?.arrayValue?.compactMap(\.doubleValue) }
    var labelNames: [String]? { metadata["label_names"]?.arrayValue?.compactMap(\.stringValue) }
    var task: Dataset.Task? {
        (metadata["task"]?.stringValue ?? metadata["architecture"]?["task"]?.stringValue)
            .flatMap(Dataset.Task.init(rawValue:))
    }

    /// A `{name: [numbers]}` map; `nil` when absent or null.
    static func tensors(_ value: JSON?, _ what: String, role: Role) throws(TrainError) -> [String: [Double]]? {
        guard let value, !value.isNull else { return nil }
        guard case .object(let members) = value else {
            throw role.error("\(what) must be an object of name → array of numbers, got \(value.typeName)")
        }
        var map: [String: [Double]] = [:]
        for (name, tensor) in members {
            guard case .array(let items) = tensor else {
                throw role.error("\(what) '\(name)' must be an array of numbers, got \(tensor.typeName)")
            }
            var values = [Double]()
            values.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard let number = item.doubleValue, number.isFinite else {
                    throw role.error("\(what) '\(name)' item \(index) is not a finite number: \(item.serialized())")
                }
                values.append(number)
            }
            map[name] = values
        }
        return map
    }

    /// Reads a model file (`--model FILE`, an aggregate argument).
    static func load(path: String) throws -> ModelDocument {
        let bytes = try Input.file(path)
        let json: JSON
        do { json = try JSONParser.parse(bytes) } catch { throw TrainError.data("\(path): \(error.message)") }
        return try ModelDocument(json, source: path, role: .input)
    }
}
