import Shared

/// A global model's metadata must agree with its tensors and with the data: a document whose
/// `metadata.architecture` or `metadata.classes` contradicts what it holds is refused (exit 64, as any invalid
/// task config), never trained on silently.
enum GlobalModelCheck {
    static func network(_ global: ModelDocument, shape: NetworkShape, classes: [Double]) throws(TrainError) {
        if let architecture = global.metadata["architecture"] {
            let inputs = architecture["inputs"]?.intValue
            let outputs = architecture["outputs"]?.intValue
            let hidden = architecture["hidden_sizes"]?.arrayValue?.compactMap(\.intValue)
            if let inputs, inputs != shape.inputs {
                throw .config(
                    "global_model's metadata.architecture says \(inputs) inputs, but its tensors and the dataset "
                        + "have \(shape.inputs); the global model does not belong to this task")
            }
            if let outputs, outputs != shape.outputs {
                throw .config(
                    "global_model's metadata.architecture says \(outputs) outputs, but this task needs "
                        + "\(shape.outputs); the global model does not belong to this task")
            }
            if let hidden, hidden != Array(shape.sizes.dropFirst().dropLast()) {
                throw .config(
                    "global_model's metadata.architecture has hidden sizes "
                        + "\(hidden.map(String.init).joined(separator: ",")), but the task asks for "
                        + "\(shape.sizes.dropFirst().dropLast().map(String.init).joined(separator: ","))")
            }
        }
        if shape.task == .classification, let documented = global.classes, documented != classes {
            throw .config(
                "global_model was trained on classes \(Excerpt.of(JSON.doubles(documented).serialized())) but the "
                    + "dataset has \(Excerpt.of(JSON.doubles(classes).serialized()))")
        }
    }
}
