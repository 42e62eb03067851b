import Shared

/// The model update `fit` writes (DESIGN.md, "Model update"; the server's model-update request,
/// PROTOCOL.md §4.12): weights and the true delta as name → flat arrays, the rows trained on, loss and
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

    var json: JSON {
        var object: [String: JSON] = [
            "session_id": .string(sessionID),
            "round_id": .string(roundID),
            "runner_id": "",  // the runner fills in its device id
            "weights": Self.tensors(weights),
            "gradients": Self.tensors(gradients),
            "update_type": "delta",
            "data_size": .int(dataSize),
            "loss": .double(loss),
            "accuracy": .double(accuracy),
            "training_time_ms": .int(trainingMilliseconds),
            "training_time": .double((trainingSeconds * 1000).rounded() / 1000),  // seconds
            "metadata": .object(metadata),
        ]
        if let privacy { object["privacy_metrics"] = privacy.json }
        return .object(object)
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
