import Foundation
import Shared

/// The parity-server double (`peers/coordinator.py`) as a test peer: a real HTTP server on 127.0.0.1 (a free
/// port) with the runner-facing API and its quirks, a client API to create tasks, prompts and FL sessions, and
/// `/_test/…` controls (state counters, forgetting runners, outages). See the script's docstring.
///
///     let server = try CoordinatorDouble()
///     defer { server.stop() }
///     let task = try await server.post("/api/v1/tasks", ["type": "command", "config": ["command": "echo hi"]])
///     let state = try await server.waitFor { $0["results"]?[id]?.intValue == 1 }
public final class CoordinatorDouble: Sendable {
    public let port: Int
    private let process: PeerProcess

    public var origin: String { "http://127.0.0.1:\(port)" }

    public init(timeout: TimeInterval = 60) throws {
        process = try PeerProcess.python(
            "the coordinator double", script: "coordinator.py", ["--port", "0"], stderr: .inherit)
        struct Announcement: Decodable { let port: Int }
        port = try process.announcement(Announcement.self, timeout: timeout).port
    }

    /// Stops the double (SIGTERM, then SIGKILL) and waits for it. Safe to call twice.
    public func stop() { process.stop() }

    // MARK: Client API

    @discardableResult
    public func post(_ path: String, _ body: JSON = [:]) async throws -> JSON {
        let response = try await HTTPClient.libcurl.send(.json(.post, origin + path, Data(body.serialized().utf8)))
        guard response.isSuccess else {
            throw PeerError("POST \(path): HTTP \(response.status) \(response.text)")
        }
        return response.body.isEmpty ? .null : try JSONParser.parse([UInt8](response.body))
    }

    public func get(_ path: String) async throws -> JSON {
        let response = try await HTTPClient.libcurl.send(HTTPRequest(.get, origin + path))
        guard response.isSuccess else {
            throw PeerError("GET \(path): HTTP \(response.status) \(response.text)")
        }
        return try JSONParser.parse([UInt8](response.body))
    }

    /// `/_test/state`: counts, runners, results per task, LLM completions, model updates.
    public func state() async throws -> JSON { try await get("/_test/state") }

    /// Polls the state until `condition` holds (every 50 ms, at most `timeout` seconds); returns that state.
    @discardableResult
    public func waitFor(
        _ what: String = "the condition", timeout: Double = 60, _ condition: (JSON) -> Bool
    ) async throws -> JSON {
        let deadline = Date().addingTimeInterval(timeout)
        var last = JSON.null
        while Date() < deadline {
            last = try await state()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PeerError("timed out after \(timeout) s waiting for \(what); last state: \(last.serialized())")
    }

    /// Creates a command task (run on the host sandbox in tests) and returns its id.
    public func submitCommand(_ command: String, array: Bool = false) async throws -> String {
        let task = try await post(
            "/api/v1/tasks",
            [
                "type": "command", "config": ["command": .string(command)], "array": .bool(array),
            ])
        guard let id = task["id"]?.stringValue else { throw PeerError("no task id in \(task)") }
        return id
    }
}
