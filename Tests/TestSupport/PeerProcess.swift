import Foundation
import Synchronization

/// A peer process a test started (a Python double, dockerd, a prty-runner node): launched once, its first stdout
/// line read as its announcement, and stopped by its pid — the signal, up to `grace` seconds, then SIGKILL.
///
///     let peer = try PeerProcess.python("the EVM node", script: "ethrpc.py", ["--port", "0"])
///     let announced = try peer.announcement(Announcement.self, timeout: 60)  // stops the peer when it fails
///     defer { peer.stop() }
///
/// Every launcher in TestSupport starts its process through this type, so a peer that never announces, dies
/// while starting or outlives its test is handled in one place.
public final class PeerProcess: Sendable {
    /// Where the peer's stdout or stderr goes.
    public enum Output: Sendable {
        /// A pipe this side reads (stdout: the announcement; stderr: the text of a start failure).
        case pipe
        /// The test process's own stream.
        case inherit
        /// Appended to this file (created when missing, opened with O_APPEND).
        case file(String)
    }

    /// What the failures of this peer call it: "the EVM node".
    public let name: String
    public let pid: Int32
    /// The read end of the peer's stdout (`.pipe`), else nil.
    public let stdout: FileHandle?
    /// The write end of the peer's stdin, when it was started with `stdin: true`; else its stdin is /dev/null.
    public let stdin: FileHandle?
    private let stderrPipe: FileHandle?
    private let stderrFile: String?
    private let process: Mutex<Process?>

    public init(
        _ name: String, executable: URL, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: URL? = nil, stdin: Bool = false, stdout: Output = .pipe, stderr: Output = .pipe
    ) throws {
        self.name = name
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let input = stdin ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        self.stdin = input?.fileHandleForWriting
        let (outHandle, outRead) = try Self.open(stdout, for: name, inherit: .standardOutput)
        process.standardOutput = outHandle
        self.stdout = outRead
        let (errHandle, errRead) = try Self.open(stderr, for: name, inherit: .standardError)
        process.standardError = errHandle
        stderrPipe = errRead
        if case .file(let path) = stderr { stderrFile = path } else { stderrFile = nil }
        try process.run()
        pid = process.processIdentifier
        self.process = Mutex(process)
    }

    /// `peers/<script>` under the test interpreter (`PeerLaunch.python`); a missing interpreter throws with the
    /// command that makes one.
    public static func python(
        _ name: String, script: String, _ arguments: [String] = [], stdin: Bool = false, stderr: Output = .pipe
    ) throws -> PeerProcess {
        let python = PeerLaunch.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw PeerError("no Python at \(python.path): run 'make deps' or set PRTY_PYTHON")
        }
        return try PeerProcess(
            name, executable: python, [PeerLaunch.script(script).path] + arguments, stdin: stdin, stderr: stderr)
    }

    deinit { stop() }

    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// The peer's first stdout line decoded as `T` (its port, CIDs, …). When none comes within `timeout` seconds
    /// or it cannot be decoded, the peer is stopped and the error carries what it wrote on stderr.
    public func announcement<T: Decodable>(_ type: T.Type, timeout: TimeInterval) throws -> T {
        guard let stdout, let line = PeerLaunch.firstLine(of: stdout, timeout: timeout) else {
            throw failed("did not announce itself within \(timeout) s")
        }
        guard let value = try? JSONDecoder().decode(T.self, from: line) else {
            throw failed("printed an unreadable announcement: \(String(decoding: line, as: UTF8.self))")
        }
        return value
    }

    /// Polls `ready` (every `interval` seconds) until it holds. When the peer exits first or `timeout` passes, the
    /// peer is stopped and the error says `what` it never did.
    public func waitUntil(
        _ what: String, timeout: TimeInterval, interval: TimeInterval = 0.02, _ ready: () -> Bool
    ) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ready() {
            guard Date() < deadline, isRunning else { throw failed(what) }
            usleep(useconds_t(interval * 1e6))
        }
    }

    /// Stops the peer and returns the error to throw: "<name> <why>", then the end of its stderr when captured.
    public func failed(_ why: String) -> PeerError {
        stop(signal: SIGKILL)
        let errors: String
        if let stderrPipe {
            errors = String(decoding: stderrPipe.readDataToEndOfFile(), as: UTF8.self)
        } else if let stderrFile {
            errors = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
        } else {
            errors = ""
        }
        return PeerError("\(name) \(why)" + (errors.isEmpty ? "" : "\n\(errors.suffix(3000))"))
    }

    /// Waits up to `timeout` seconds for the peer to exit by itself: its shell status (128 + n when a signal ended
    /// it), or nil while it still runs (or was never started).
    public func wait(_ timeout: TimeInterval) -> Int32? {
        guard let process = process.withLock({ $0 }) else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return nil }
        return Self.status(process)
    }

    /// Sends `signal`, waits up to `grace` seconds for the exit, then SIGKILL, and reaps the peer. Returns its
    /// shell status (128 + n when a signal ended it), or nil when it was already stopped: safe to call twice.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: TimeInterval = 5) -> Int32? {
        guard
            let process = process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return nil }
        if process.isRunning {
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return Self.status(process)
    }

    /// A shell's `$?` for an exited process.
    private static func status(_ process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// The handle the child gets for `output`, and this side's read end when it is a pipe.
    private static func open(_ output: Output, for name: String, inherit: FileHandle) throws -> (
        child: Any, read: FileHandle?
    ) {
        switch output {
        case .pipe:
            let pipe = Pipe()
            return (pipe, pipe.fileHandleForReading)
        case .inherit:
            return (inherit, nil)
        case .file(let path):
            // O_APPEND: stdout and stderr sent to one file both write at its end, never over each other.
            let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw PeerError("cannot open \(path) for \(name)'s output") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            return (handle, nil)
        }
    }
}
