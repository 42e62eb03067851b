import Foundation
import Shared

/// The server's runner-facing API (docs/protocol.md): every call goes to `<origin>/api/v1/…` with
/// `X-Device-ID`, one attempt each; the callers decide about retries (heartbeat back-off, the outbox).
struct ServerAPI: Sendable {
    var client: HTTPClient
    var apiBase: String
    var deviceID: String

    /// How a call ended: a status and body, or no answer at all.
    enum Reply: Sendable, Equatable {
        case status(Int, String)
        case unreachable(String)

        var isSuccess: Bool { if case .status(let code, _) = self { (200..<300).contains(code) } else { false } }
        var code: Int? { if case .status(let code, _) = self { code } else { nil } }

        var summary: String {
            switch self {
            case .status(let code, let body): "HTTP \(code)" + (body.isEmpty ? "" : ": \(body.prefix(200))")
            case .unreachable(let why): why
            }
        }

        /// The server no longer knows this runner: heartbeat's 500 "runner not found", or a 404.
        var runnerUnknown: Bool {
            guard case .status(let code, let body) = self else { return false }
            return code == 404 || (code == 500 && body.lowercased().contains("runner not found"))
        }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: JSON? = nil, timeout: Double = 15) async -> (
        Reply, Data
    ) {
        var request = HTTPRequest(method, apiBase + path)
        request.headers["X-Device-ID"] = deviceID
        request.headers["User-Agent"] = "prty-runner/\(Version.current)"
        if let body {
            request.body = Data(body.serialized().utf8)
            request.headers["Content-Type"] = "application/json"
        }
        request.timeout = timeout
        request.connectTimeout = min(timeout, 5)
        request.maxResponseBytes = 16 << 20
        return await send(request)
    }

    /// Sends a body already serialised (an outbox entry).
    func post(_ path: String, bytes: [UInt8], timeout: Double = 30) async -> Reply {
        var request = HTTPRequest(.post, apiBase + path)
        request.headers["X-Device-ID"] = deviceID
        request.headers["Content-Type"] = "application/json"
        request.headers["User-Agent"] = "prty-runner/\(Version.current)"
        request.body = Data(bytes)
        request.timeout = timeout
        request.connectTimeout = 5
        return await send(request).0
    }

    private func send(_ request: HTTPRequest) async -> (Reply, Data) {
        do {
            let response = try await client.send(request)
            let text = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            return (.status(response.status, text), response.body)
        } catch {
            return (.unreachable("\(error)"), Data())
        }
    }

    // MARK: The calls

    /// `POST /runners`: upserts this runner with its webhook and model capabilities (omitted when empty).
    func register(wallet: String, webhook: String, capabilities: [JSON]) async -> Reply {
        var body: [String: JSON] = ["wallet_address": .string(wallet), "status": "online", "webhook": .string(webhook)]
        if !capabilities.isEmpty { body["model_capabilities"] = .array(capabilities) }
        return await call(.post, "/runners", body: .object(body), timeout: 10).0
    }

    /// `POST /runners/heartbeat`, the body at top level; `public_ip` is the full webhook URL (the server stores it).
    func heartbeat(wallet: String, busy: Bool, uptime: Int, webhook: String) async -> Reply {
        let body: JSON = [
            "wallet_address": .string(wallet), "status": busy ? "busy" : "online",
            "timestamp": .int(Int(Date().timeIntervalSince1970)), "uptime": .int(uptime), "memory_usage": 0,
            "cpu_usage": .double(0), "public_ip": .string(webhook),
        ]
        return await call(.post, "/runners/heartbeat", body: body, timeout: 5).0
    }

    /// `DELETE /runners/webhooks`: the server marks the runner offline.
    func unregister() async -> Reply {
        await call(.delete, "/runners/webhooks", timeout: 10).0
    }

    enum StartOutcome: Sendable, Equatable {
        /// 200 with the Task to execute.
        case task(JSON)
        /// Refused or failed: the task is abandoned (no result) and may be offered again.
        case refused(Reply)
    }

    /// `POST /runners/tasks/{id}/start`: claims the task; what it returns is what runs.
    func start(taskID: String) async -> StartOutcome {
        let (reply, body) = await call(.post, "/runners/tasks/\(taskID)/start", timeout: 15)
        guard reply.code == 200 else { return .refused(reply) }
        guard let task = try? JSONParser.parse([UInt8](body)), task["id"]?.stringValue == taskID else {
            return .refused(.status(200, "start answered without the task \(taskID)"))
        }
        return .task(task)
    }
}

/// Task ids travel in URL paths and file names: UUIDs in practice; anything outside `[A-Za-z0-9._-]`, or
/// longer than 128, is refused.
func isValidTaskID(_ id: String) -> Bool {
    (1...128).contains(id.utf8.count) && id != "." && id != ".."
        && id.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46
                || $0 == 95
        }
}
