import Foundation
import Shared
import Synchronization

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
    private let process: Mutex<Process?>

    public var origin: String { "http://127.0.0.1:\(port)" }

    public static var script: URL { Paths.root.appendingPathComponent("Tests/TestSupport/peers/coordinator.py") }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(timeout: TimeInterval = 60) throws {
        let python = PeerLaunch.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "no Python at \(python.path): run 'make deps' or set PRTY_PYTHON")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [Self.script.path, "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard let line = PeerLaunch.firstLine(of: output.fileHandleForReading, timeout: timeout),
            let announcement = try? JSONParser.parse([UInt8](line)), let port = announcement["port"]?.intValue
        else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "the coordinator double did not announce its port within \(timeout) s")
        }
        self.port = port
        self.process = Mutex(process)
    }

    deinit { stop() }

    /// Stops the double (SIGTERM, then SIGKILL) and waits for it. Safe to call twice.
    public func stop() {
        guard
            let process = process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    // MARK: Client API

    @discardableResult
    public func post(_ path: String, _ body: JSON = [:]) async throws -> JSON {
        let response = try await HTTPClient.libcurl.send(.json(.post, origin + path, Data(body.serialized().utf8)))
        guard response.isSuccess else {
            throw Failure(description: "POST \(path): HTTP \(response.status) \(response.text)")
        }
        return response.body.isEmpty ? .null : try JSONParser.parse([UInt8](response.body))
    }

    public func get(_ path: String) async throws -> JSON {
        let response = try await HTTPClient.libcurl.send(HTTPRequest(.get, origin + path))
        guard response.isSuccess else {
            throw Failure(description: "GET \(path): HTTP \(response.status) \(response.text)")
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
        throw Failure(description: "timed out after \(timeout) s waiting for \(what); last state: \(last.serialized())")
    }

    /// Creates a command task (run on the host sandbox in tests) and returns its id.
    public func submitCommand(_ command: String, array: Bool = false) async throws -> String {
        let task = try await post(
            "/api/v1/tasks",
            [
                "type": "command", "config": ["command": .string(command)], "array": .bool(array),
            ])
        guard let id = task["id"]?.stringValue else { throw Failure(description: "no task id in \(task)") }
        return id
    }
}
