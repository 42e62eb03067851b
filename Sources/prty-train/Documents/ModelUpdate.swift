import Shared

/// The model update `fit` writes (docs/formats.md §5; the server's model-update request,
/// docs/protocol.md §8.1): weights and the true delta as name → flat arrays, the rows trained on, loss and
/// accuracy on the held-out slice, measured training time, and metadata that lets `evaluate`, `predict`,
/// `aggregate` and the next round use the model without the task.
struct ModelUpdate: Sendable {
    static let format = "prty.model/1"

    var sessionID: String
    var roundID: String
    var weights: [String: [Double]]
    /// local − start (`update_type` "delta").
    var gradients: [String: [Double]]
    var dataSize: Int
    var loss: Double
    var accuracy: Double
    var trainingSeconds: Double
    var metadata: [String: JSON]
    var privacy: PrivacyReport?

    /// The server stores training metrics only when `training_time_ms` > 0, so a very fast fit reports 1.
    var trainingMilliseconds: Int { max(1, Int((trainingSeconds * 1000).rounded(.up))) }

    /// The members of the document; the tensors stay as numbers until they are written.
    var members: [String: DocumentWriter.Member] {
        var object: [String: DocumentWriter.Member] = [
            "session_id": .json(.string(sessionID)),
            "round_id": .json(.string(roundID)),
            "runner_id": .json(""),  // the runner fills in its device id
            "weights": .tensors(weights),
            "gradients": .tensors(gradients),
            "update_type": .json("delta"),
            "data_size": .json(.int(dataSize)),
            "loss": .json(.double(loss)),
            "accuracy": .json(.double(accuracy)),
            "training_time_ms": .json(.int(trainingMilliseconds)),
            "training_time": .json(.double((trainingSeconds * 1000).rounded() / 1000)),  // seconds
            "metadata": .json(.object(metadata)),
        ]
        if let privacy { object["privacy_metrics"] = .json(privacy.json) }
        return object
    }

    /// The document as one line of JSON, newline-terminated.
    var bytes: [UInt8] { DocumentWriter.bytes(members) }

    /// The document as a `JSON` value (tests, and an update read back as a global model).
    var json: JSON {
        .object(
            members.mapValues { member in
                switch member {
                case .json(let value): value
                case .tensors(let map): Self.tensors(map)
                }
            })
    }

    static func tensors(_ map: [String: [Double]]) -> JSON { .object(map.mapValues(JSON.doubles)) }

    /// Whether every number is finite: a document never carries NaN or infinity.
    static func isFinite(_ map: [String: [Double]]) -> Bool { map.values.allSatisfy { $0.allSatisfy(\.isFinite) } }

    /// `a − b`, tensor by tensor (same names and lengths).
    static func difference(_ a: [String: [Double]], _ b: [String: [Double]]) -> [String: [Double]] {
        var result: [String: [Double]] = [:]
        for (name, values) in a {
            let base = b[name] ?? [Double](repeating: 0, count: values.count)
            result[name] = zip(values, base).map { $0 - $1 }
        }
        return result
    }

    /// `a + b`, tensor by tensor.
    static func sum(_ a: [String: [Double]], _ b: [String: [Double]]) -> [String: [Double]] {
        var result: [String: [Double]] = [:]
        for (name, values) in a {
            let other = b[name] ?? [Double](repeating: 0, count: values.count)
            result[name] = zip(values, other).map { $0 + $1 }
        }
        return result
    }
}
