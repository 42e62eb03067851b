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
    private let process: PeerProcess
    private let input: FileHandle
    private let output: FileHandle
    /// One command at a time: each writes a line and reads the one-line answer.
    private let commandLock = Mutex(())

    /// `127.0.0.1:PORT`, as RUNNER_TUNNEL_SERVER_URL takes it.
    public var address: String { "127.0.0.1:\(controlPort)" }

    /// `init` on a thread of its own (starting blocks while the peer announces its port).
    public static func start(
        secret: String? = nil, minPort: Int = 20000, maxPort: Int = 60000, timeout: TimeInterval = 60
    ) async throws -> BoreServerDouble {
        try await offload { try BoreServerDouble(secret: secret, minPort: minPort, maxPort: maxPort, timeout: timeout) }
    }

    public init(secret: String? = nil, minPort: Int = 20000, maxPort: Int = 60000, timeout: TimeInterval = 60) throws {
        var arguments = ["--min-port", String(minPort), "--max-port", String(maxPort)]
        if let secret { arguments += ["--secret", secret] }
        process = try PeerProcess.python(
            "the bore server double", script: "bore_server.py", arguments, stdin: true, stderr: .inherit)
        struct Announcement: Decodable { let control_port: Int }
        controlPort = try process.announcement(Announcement.self, timeout: timeout).control_port
        // Both exist: the process was started with a stdin pipe, and stdout is always one.
        input = process.stdin ?? FileHandle.nullDevice
        output = process.stdout ?? FileHandle.nullDevice
    }

    deinit { stop() }

    /// Sends one command line and returns the double's one-line JSON answer.
    @discardableResult
    public func command(_ line: String, timeout: TimeInterval = 10) throws -> JSON {
        try commandLock.withLock { _ in
            try input.write(contentsOf: Data((line + "\n").utf8))
            guard let answer = PeerLaunch.firstLine(of: output, timeout: timeout) else {
                throw PeerError("the bore server double did not answer '\(line)' within \(timeout) s")
            }
            return try JSONParser.parse([UInt8](answer))
        }
    }

    /// `{"clients", "hellos", "auth_failures", "accepted", "ports"}`.
    public func stats() throws -> JSON { try command("stats") }

    /// Stops the peer (SIGKILL by pid: it keeps no state worth a clean shutdown) and waits for it. Safe to call
    /// twice.
    public func stop() { process.stop(signal: SIGKILL) }
}
