import Shared

/// A document is never written with a number that JSON cannot hold (NaN, ±infinity would become `null`, which
/// prty-train and the server then refuse). When arithmetic overflows — an aggregate of weights near 1e308, a
/// model whose outputs overflow on this data — the tool fails instead (exit 1), naming the tensor and index.
struct NonFiniteError: ExitStatusError {
    /// e.g. "the aggregate's weights 'layer_0_weights' [3]" or "evaluate's loss".
    var what: String
    var value: Double
    var hint: String

    var description: String {
        "\(what) is not a finite number (\(value.isNaN ? "NaN" : (value > 0 ? "+infinity" : "-infinity"))), which "
            + "a JSON document cannot hold; nothing was written. \(hint)"
    }
    var exitStatus: ExitStatus { .failure }
}

enum FiniteCheck {
    static let overflowHint =
        "The inputs hold numbers too large to combine (near ±1.8e308); check the models for diverged weights."

    /// Every number in a document's members, tensors and small values alike.
    static func members(_ members: [String: DocumentWriter.Member], document: String, hint: String = overflowHint)
        throws(NonFiniteError)
    {
        for key in members.keys.sorted() {
            switch members[key] {
            case .tensors(let map)?: try tensors(map, what: "\(document)'s \(key)", hint: hint)
            case .json(let value)?: try json(value, what: "\(document)'s \(key)", hint: hint)
            case nil: break
            }
        }
    }

    static func tensors(_ map: [String: [Double]], what: String, hint: String = overflowHint)
        throws(NonFiniteError)
    {
        for name in map.keys.sorted() {
            guard let values = map[name] else { continue }
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw NonFiniteError(what: "\(what) '\(name)' [\(index)]", value: values[index], hint: hint)
            }
        }
    }

    static func json(_ value: JSON, what: String, hint: String = overflowHint) throws(NonFiniteError) {
        switch value {
        case .number(let number) where !number.double.isFinite:  // JSONNumber keeps a non-finite value as "null"
            throw NonFiniteError(what: what, value: .nan, hint: hint)
        case .array(let items):
            for (index, item) in items.enumerated() { try json(item, what: "\(what) [\(index)]", hint: hint) }
        case .object(let object):
            for key in object.keys.sorted() {
                if let item = object[key] { try json(item, what: "\(what).\(key)", hint: hint) }
            }
        default: break
        }
    }

    static func values(_ values: [Double], what: String, hint: String) throws(NonFiniteError) {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw NonFiniteError(what: "\(what) [\(index)]", value: values[index], hint: hint)
        }
    }
}
