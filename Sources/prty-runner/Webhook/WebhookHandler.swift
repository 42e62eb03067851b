import Foundation
import Shared

/// The webhook's rules, as a function of the request (docs/runner.md): `POST /webhook` only (405 for another
/// method, 404 elsewhere); the signature when a secret is set (401); `X-Device-ID`, when sent, must be this
/// node's (403); the envelope `{"type","payload"}` with `available_tasks` acted on and any other type answered
/// 200 ok; the payload one Task object or an array of them (the server's broadcast). Each task id goes to
/// `offer`, which decides: 200 ok, 200 skipped, 409 busy, 503 shutting down. The body's config is never run:
/// the node claims the id with `start` and runs what that returns.
struct WebhookHandler: Sendable {
    var deviceID: String
    var signature: WebhookSignature?
    var offer: @Sendable (_ taskID: String) -> TaskLifecycle.Offer
    var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    func handle(_ request: HTTPServer.Request) -> HTTPServer.Response {
        guard request.path == "/webhook" else { return .text(404, "not found\n") }
        guard request.method == "POST" else {
            var response = HTTPServer.Response.text(405, "method not allowed\n")
            response.headers["Allow"] = "POST"
            return response
        }
        if let signature, let problem = signature.problem(headers: request.headers, body: request.body, now: now()) {
            return .json(401, ["error": .string("invalid signature: \(problem)")])
        }
        if let target = request.header("X-Device-ID"), !target.isEmpty, target != deviceID {
            return .json(403, ["error": "this webhook belongs to another device"])
        }
        guard let envelope = try? JSONParser.parse(request.body), envelope.objectValue != nil else {
            return .text(400, "Invalid request body\n")
        }
        guard envelope["type"]?.stringValue == "available_tasks" else { return .json(200, ["status": "ok"]) }
        let tasks: [JSON]
        switch envelope["payload"] {
        case .object?: tasks = [envelope["payload"] ?? .null]
        case .array(let items)?: tasks = items
        default: return .text(400, "Invalid task payload\n")
        }
        var ids: [String] = []
        for task in tasks {
            guard let id = task["id"]?.stringValue, isValidTaskID(id) else {
                return .text(400, "Invalid task payload\n")
            }
            ids.append(id)
        }
        // An array offers its tasks in order; the first accepted is claimed and the rest are busy for now (the
        // server offers them again).
        var answers: [TaskLifecycle.Offer] = []
        for id in ids { answers.append(offer(id)) }
        if answers.contains(.accepted) || answers.isEmpty { return .json(200, ["status": "ok"]) }
        if answers.contains(.closed) { return .json(503, ["status": "shutting down"]) }
        if answers.allSatisfy({ $0 == .skipped }) { return .json(200, ["status": "skipped"]) }
        var busy = HTTPServer.Response.text(409, "{\"status\":\"busy\"}\n")
        busy.headers["Content-Type"] = "text/plain; charset=utf-8"
        return busy
    }
}
