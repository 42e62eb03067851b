import Foundation
import Shared

/// Standard Webhooks signatures (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix seconds) and
/// `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>`) over `id.timestamp.body`. The secret is
/// `whsec_<base64>` or, for operators who paste a plain string, its raw bytes. parity-server does not sign;
/// the check is on only when `RUNNER_WEBHOOK_SECRET` is set.
struct WebhookSignature: Sendable {
    let key: [UInt8]
    /// Seconds a signature stays valid either side of now (replay window).
    var tolerance: Double = 300

    init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = [UInt8](decoded)
        } else {
            key = Array(secret.utf8)
        }
    }

    /// nil when valid, else why not.
    func problem(headers: HTTPHeaders, body: [UInt8], now: Double) -> String? {
        guard let id = headers["webhook-id"], let stamp = headers["webhook-timestamp"],
            let signatures = headers["webhook-signature"]
        else { return "missing webhook-id, webhook-timestamp or webhook-signature" }
        guard let seconds = Double(stamp), seconds.isFinite, abs(now - seconds) <= tolerance else {
            return "webhook-timestamp outside the \(Int(tolerance))s window"
        }
        let expected = sign(id: id, timestamp: stamp, body: body)
        for candidate in signatures.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let given = Data(base64Encoded: String(parts[1])) else {
                continue
            }
            if Self.constantTimeEqual([UInt8](given), expected) { return nil }
        }
        return "no valid v1 signature"
    }

    func sign(id: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: key, message: Array("\(id).\(timestamp).".utf8) + body)
    }

    func header(id: String, timestamp: String, body: [UInt8]) -> String {
        "v1," + Data(sign(id: id, timestamp: timestamp, body: body)).base64EncodedString()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
