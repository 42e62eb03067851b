import Foundation
import Shared
import Synchronization

/// The bore server double (`peers/bore_server.py`, standard-library Python) as a test peer: bore's wire protocol on
/// a control port on 127.0.0.1 (a free port), public ports on 127.0.0.1, an optional secret, and commands that
/// break it on purpose (`drop`, `restart`, `mute`, `error`; see the script's docstring).
///
///     let bore = try await BoreServerDouble.start(secret: "s3cret")
///     defer { bore.stop() }
///     // RUNNER_TUNNEL_SERVER_URL=127.0.0.1:\(bore.controlPort)
///     try bore.command("drop")
///
/// A missing interpreter makes `start` throw: the test fails, it is never skipped.
public final class BoreServerDouble: Sendable {
    public let controlPort: Int
    private let process: Mutex<Process?>
    private let input: FileHandle
    private let output: FileHandle
    /// One command at a time: each writes a line and reads the one-line answer.
    private let commandLock = Mutex(())

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `127.0.0.1:PORT`, as RUNNER_TUNNEL_SERVER_URL takes it.
    public var address: String { "127.0.0.1:\(controlPort)" }

    /// `init` on a thread of its own (starting blocks while the peer announces its port).
    public static func start(
        secret: String? = nil, minPort: Int = 20000, maxPort: Int = 60000, timeout: TimeInterval = 60
    ) async throws -> BoreServerDouble {
        try await offload { try BoreServerDouble(secret: secret, minPort: minPort, maxPort: maxPort, timeout: timeout) }
    }

    public init(secret: String? = nil, minPort: Int = 20000, maxPort: Int = 60000, timeout: TimeInterval = 60) throws {
        let python = PeerLaunch.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw StartError(description: "no Python at \(python.path): run 'make deps' or set PRTY_PYTHON")
        }
        let process = Process()
        process.executableURL = python
        var arguments = [
            Paths.root.appendingPathComponent("Tests/TestSupport/peers/bore_server.py").path,
            "--min-port", String(minPort), "--max-port", String(maxPort),
        ]
        if let secret { arguments += ["--secret", secret] }
        process.arguments = arguments
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.standardError
        try process.run()
        self.process = Mutex(process)
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading

        struct Announcement: Decodable { let control_port: Int }
        guard let line = PeerLaunch.firstLine(of: output, timeout: timeout),
            let announcement = try? JSONDecoder().decode(Announcement.self, from: line)
        else {
            controlPort = 0
            stop()
            throw StartError(
                description: "the bore server double did not announce its control port within \(timeout) s")
        }
        controlPort = announcement.control_port
    }

    deinit { stop() }

    /// Sends one command line and returns the double's one-line JSON answer.
    @discardableResult
    public func command(_ line: String, timeout: TimeInterval = 10) throws -> JSON {
        try commandLock.withLock { _ in
            try input.write(contentsOf: Data((line + "\n").utf8))
            guard let answer = PeerLaunch.firstLine(of: output, timeout: timeout) else {
                throw StartError(description: "the bore server double did not answer '\(line)' within \(timeout) s")
            }
            return try JSONParser.parse([UInt8](answer))
        }
    }

    /// `{"clients", "hellos", "auth_failures", "accepted", "ports"}`.
    public func stats() throws -> JSON { try command("stats") }

    /// Stops the peer (SIGKILL by pid) and waits for it. Safe to call twice.
    public func stop() {
        guard
            let process = self.process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
