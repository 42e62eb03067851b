import Foundation
import Synchronization

/// A child process with an explicit argv and an explicit environment (nothing is inherited unless passed),
/// optional stdin bytes, captured stdout/stderr with byte caps, and a timeout that stops the child's whole
/// process group: SIGTERM, then SIGKILL after `killGrace` seconds.
///
///     let result = try await Subprocess("prty-train", ["--task", path], environment: ["PATH": path],
///                                       input: .bytes(dataset), timeout: 600).run()
///     guard result.termination == .exited(0) else { … result.stderrText … }
///
/// Started with `posix_spawn` (not `Foundation.Process`) so that the child gets its own process group, default
/// signal dispositions (a tool's `Interruption` ignores SIGINT/SIGTERM, and `exec` would pass that on) and no
/// inherited file descriptors beyond 0, 1 and 2. The waiting happens on a thread of its own (`offload`), and
/// cancelling the awaiting task stops the child as a timeout does, then throws `CancellationError`.
public struct Subprocess: Sendable {
    /// What the child reads on stdin.
    public enum Input: Sendable, Equatable {
        /// `/dev/null`.
        case null
        /// These bytes, then end of file.
        case bytes([UInt8])
        /// The file at this path.
        case file(String)
    }

    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable, Equatable {
        /// Kept in memory, up to `limit` bytes; the rest is read and dropped (the result says it was truncated).
        case capture(limit: Int)
        /// Written to the file at this path (created or truncated, mode 0644).
        case file(String)
        /// `/dev/null`.
        case discard
    }

    /// A program name (looked up in the given environment's `PATH`) or a path containing `/`.
    public var executable: String
    public var arguments: [String]
    /// The child's whole environment.
    public var environment: [String: String]
    public var input: Input
    public var stdout: Output
    public var stderr: Output
    public var currentDirectory: String?
    /// Seconds until the process group gets SIGTERM.
    public var timeout: Double
    /// Seconds between SIGTERM and SIGKILL, and how long output pipes may stay open after the child exits.
    public var killGrace: Double
    /// Called on the reading thread with each chunk of a captured stream, as it arrives (for live progress).
    public var onOutput: (@Sendable (Stream, ArraySlice<UInt8>) -> Void)?

    public enum Stream: Sendable { case stdout, stderr }

    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String], input: Input = .null,
        stdout: Output = .capture(limit: 64 << 20), stderr: Output = .capture(limit: 1 << 20),
        currentDirectory: String? = nil, timeout: Double, killGrace: Double = 2
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.input = input
        self.stdout = stdout
        self.stderr = stderr
        self.currentDirectory = currentDirectory
        self.timeout = timeout
        self.killGrace = killGrace
    }

    /// Runs the child to its end on a thread of its own. Cancelling the calling task stops the process group
    /// (SIGTERM, then SIGKILL) and throws `CancellationError` once the child is gone.
    public func run() async throws -> Result {
        try Task.checkCancellation()
        let wake = try WakePipe()
        defer { wake.dispose() }
        let result = try await withTaskCancellationHandler {
            try await offload { try self.runBlocking(wake: wake) }
        } onCancel: {
            wake.send([WakePipe.cancel])
        }
        if result.cancelled { throw CancellationError() }
        return result
    }

    /// Runs the child to its end on the calling thread (for code that is already on a blocking thread).
    public func runBlocking() throws -> Result {
        let wake = try WakePipe()
        defer { wake.dispose() }
        return try runBlocking(wake: wake)
    }
}
