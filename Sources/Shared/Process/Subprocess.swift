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

    /// How a run ended.
    public struct Result: Sendable {
        public enum Termination: Sendable, Equatable, CustomStringConvertible {
            case exited(Int32)
            case signaled(Int32)

            public var description: String {
                switch self {
                case .exited(let code): "exit status \(code)"
                case .signaled(let signal): "killed by signal \(signal) (\(Subprocess.signalName(signal)))"
                }
            }
        }

        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var stdoutTruncated: Bool
        public var stderrTruncated: Bool
        /// The timeout expired and the process group was signalled.
        public var timedOut: Bool
        /// The awaiting task was cancelled and the process group was signalled.
        public var cancelled: Bool
        /// The pid the child had (also its process group id).
        public var pid: Int32
        /// Wall-clock seconds from spawn to exit.
        public var seconds: Double

        public var succeeded: Bool { termination == .exited(0) && !timedOut }
        /// A shell's `$?`: the exit status, or 128 + the signal number.
        public var status: Int32 {
            switch termination {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
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

// MARK: - Spawning

extension Subprocess {
    private func runBlocking(wake: WakePipe) throws -> Result {
        let savedMask = Self.blockSIGPIPEOnThisThread()
        defer { Self.restoreSignalMask(savedMask) }

        let path = try resolvedExecutable()
        var parentEnds = ParentEnds()
        defer { parentEnds.closeAll() }
        var childFDs: [Int32] = []
        defer { for fd in childFDs { close(fd) } }

        // Child stdin, stdout, stderr: a pipe end or an opened file, in order 0, 1, 2.
        let stdinFD: Int32
        switch input {
        case .null: stdinFD = try Self.openFile("/dev/null", O_RDONLY, what: "stdin")
        case .file(let name): stdinFD = try Self.openFile(name, O_RDONLY, what: "stdin")
        case .bytes:
            let (read, write) = try Self.makePipe()
            stdinFD = read
            parentEnds.stdin = write
            Self.setNonBlocking(write)
        }
        childFDs.append(stdinFD)
        for (stream, output) in [(Stream.stdout, stdout), (.stderr, stderr)] {
            let fd: Int32
            switch output {
            case .discard: fd = try Self.openFile("/dev/null", O_WRONLY, what: "\(stream)")
            case .file(let name): fd = try Self.openFile(name, O_WRONLY | O_CREAT | O_TRUNC, what: "\(stream)")
            case .capture:
                let (read, write) = try Self.makePipe()
                fd = write
                Self.setNonBlocking(read)
                if stream == .stdout { parentEnds.stdout = read } else { parentEnds.stderr = read }
            }
            childFDs.append(fd)
        }

        let started = Self.now()
        let pid = try spawn(path: path, stdio: childFDs)
        for fd in childFDs { close(fd) }
        childFDs = []

        // A waiter thread reaps the child and reports its status through the wake pipe, so the loop below
        // can wait for output, the exit, the deadline and cancellation in one poll(2).
        startThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            wake.send([WakePipe.exited] + withUnsafeBytes(of: status) { Array($0) })
        }
        return try supervise(pid: pid, started: started, ends: &parentEnds, wake: wake)
    }

    /// The program's path: as given when it contains `/`, else the first match in the child's `PATH`.
    private func resolvedExecutable() throws(SubprocessError) -> String {
        if executable.contains("/") { return executable }
        let searchPath = environment["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw .notFound(executable, searchPath: searchPath)
    }

    private func spawn(path: String, stdio: [Int32]) throws(SubprocessError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, fd) in stdio.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, Int32(target))  // dup2 clears FD_CLOEXEC on 0, 1, 2
        }
        if let closeFrom = Self.addCloseFrom {
            _ = closeFrom(&actions, 3)  // belt and braces: every descriptor of ours is already close-on-exec
        }
        if let currentDirectory {
            guard let addChdir = Self.addChdir else {
                throw .spawn(executable, "this C library cannot set a child's working directory")
            }
            let code = addChdir(&actions, currentDirectory)
            guard code == 0 else { throw .spawn(executable, String(cString: strerror(code))) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)  // its own process group, so a timeout stops its children too
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv + [nil], envp + [nil])
        guard code == 0 else {
            throw code == ENOENT ? .notFound(path, searchPath: nil) : .spawn(path, String(cString: strerror(code)))
        }
        return pid
    }
}

// MARK: - Supervising

extension Subprocess {
    /// The parent's ends of the pipes; -1 once closed.
    private struct ParentEnds {
        var stdin: Int32 = -1
        var stdout: Int32 = -1
        var stderr: Int32 = -1

        mutating func closeAll() {
            for fd in [stdin, stdout, stderr] where fd >= 0 { close(fd) }
            (stdin, stdout, stderr) = (-1, -1, -1)
        }
    }

    private enum Phase {
        case running
        case terminating(killAt: Double)
        case killed(giveUpAt: Double)
    }

    private func supervise(pid: Int32, started: Double, ends: inout ParentEnds, wake: WakePipe) throws -> Result {
        let stdinBytes: [UInt8] = if case .bytes(let bytes) = input { bytes } else { [] }
        var written = 0
        if ends.stdin >= 0 && stdinBytes.isEmpty {
            close(ends.stdin)
            ends.stdin = -1
        }
        let limits = (Self.limit(stdout), Self.limit(stderr))
        var out: [UInt8] = []
        var err: [UInt8] = []
        var outTruncated = false
        var errTruncated = false
        var exitStatus: Int32? = nil
        var exitedAt = 0.0
        var timedOut = false
        var cancelled = false
        var phase = Phase.running
        let deadline = started + timeout
        var messages: [UInt8] = []
        let chunkSize = 65536
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        func signalGroup(_ signal: Int32) { kill(-pid, signal) }

        while true {
            let now = Self.now()
            let pipesOpen = ends.stdout >= 0 || ends.stderr >= 0
            if exitStatus != nil && !pipesOpen { break }

            // Deadlines: the timeout, the kill after SIGTERM, and output pipes held open after the exit
            // (by a grandchild in the group): those get SIGKILL, and then we stop waiting for them.
            var nextDeadline = Double.infinity
            switch phase {
            case .running:
                if exitStatus == nil && now >= deadline {
                    timedOut = true
                    signalGroup(SIGTERM)
                    phase = .terminating(killAt: now + killGrace)
                    continue
                }
                if exitStatus != nil && now >= exitedAt + killGrace {
                    signalGroup(SIGKILL)
                    phase = .killed(giveUpAt: now + killGrace)
                    continue
                }
                nextDeadline = exitStatus == nil ? deadline : exitedAt + killGrace
            case .terminating(let killAt):
                if now >= killAt {
                    signalGroup(SIGKILL)
                    phase = .killed(giveUpAt: now + killGrace)
                    continue
                }
                nextDeadline = killAt
            case .killed(let giveUpAt):
                if exitStatus != nil && now >= giveUpAt {
                    ends.closeAll()  // a process that left the group still holds them: stop reading
                    continue
                }
                if exitStatus == nil { nextDeadline = .infinity } else { nextDeadline = giveUpAt }
            }

            var fds = [pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
            for fd in [ends.stdout, ends.stderr] where fd >= 0 {
                fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            }
            if ends.stdin >= 0 { fds.append(pollfd(fd: ends.stdin, events: Int16(POLLOUT), revents: 0)) }
            let waitMilliseconds =
                nextDeadline.isFinite ? Int32(min(max(0, (nextDeadline - now) * 1000).rounded(.up), 60_000)) : -1
            let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                signalGroup(SIGKILL)  // never leave a child running unsupervised
                throw SubprocessError.io("poll failed: \(reason)")
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == wake.readEnd {
                    let count = read(entry.fd, &chunk, chunkSize)
                    if count > 0 { messages += chunk[0..<count] }
                    while let tag = messages.first {
                        if tag == WakePipe.cancel {
                            messages.removeFirst()
                            if case .running = phase, exitStatus == nil {
                                cancelled = true
                                signalGroup(SIGTERM)
                                phase = .terminating(killAt: Self.now() + killGrace)
                            }
                        } else if tag == WakePipe.exited, messages.count >= 5 {
                            exitStatus = messages[1..<5].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                            exitedAt = Self.now()
                            messages.removeFirst(5)
                        } else {
                            break
                        }
                    }
                } else if entry.fd == ends.stdin {
                    let count = stdinBytes.withUnsafeBytes { buffer in
                        write(entry.fd, buffer.baseAddress! + written, min(buffer.count - written, 65536))
                    }
                    if count > 0 { written += count }
                    if written == stdinBytes.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                        close(ends.stdin)  // done, or the child closed its stdin (EPIPE): it reads no more
                        ends.stdin = -1
                    }
                } else {
                    let isOut = entry.fd == ends.stdout
                    let count = read(entry.fd, &chunk, chunkSize)
                    if count > 0 {
                        let slice = chunk[0..<count]
                        onOutput?(isOut ? .stdout : .stderr, slice)
                        if isOut {
                            let room = max(0, limits.0 - out.count)
                            out += slice.prefix(room)
                            if count > room { outTruncated = true }
                        } else {
                            let room = max(0, limits.1 - err.count)
                            err += slice.prefix(room)
                            if count > room { errTruncated = true }
                        }
                    } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                        close(entry.fd)
                        if isOut { ends.stdout = -1 } else { ends.stderr = -1 }
                    }
                }
            }
        }
        let status = exitStatus ?? 0
        let termination: Result.Termination =
            (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return Result(
            termination: termination, stdout: out, stderr: err, stdoutTruncated: outTruncated,
            stderrTruncated: errTruncated, timedOut: timedOut, cancelled: cancelled, pid: pid,
            seconds: exitedAt - started)
    }

    private static func limit(_ output: Output) -> Int {
        if case .capture(let limit) = output { max(0, limit) } else { 0 }
    }
}

// MARK: - Small system helpers

extension Subprocess {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// A pipe whose ends are close-on-exec (the child gets its end through dup2, which clears the flag).
    fileprivate static func makePipe() throws(SubprocessError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .io("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Makes the parent's end of a pipe non-blocking (never the child's: O_NONBLOCK belongs to the open file,
    /// which dup2 shares, and most programs fail on EAGAIN).
    fileprivate static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    fileprivate static func openFile(_ path: String, _ flags: Int32, what: String) throws(SubprocessError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot open \(path) for \(what): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// `SIGPIPE` for a write to a pipe the child closed would kill this process. It is blocked on this thread
    /// while the child runs (the write then fails with `EPIPE`), and a pending one is consumed before unblocking.
    fileprivate static func blockSIGPIPEOnThisThread() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var saved = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &saved)
        return saved
    }

    fileprivate static func restoreSignalMask(_ saved: sigset_t) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
            var zero = timespec()
            _ = sigtimedwait(&set, nil, &zero)
        }
        var saved = saved
        pthread_sigmask(SIG_SETMASK, &saved, nil)
    }

    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        default: "signal \(signal)"
        }
    }

    // glibc's _np spawn actions are not in Swift's Glibc module (they need _GNU_SOURCE): looked up once.
    private typealias FileAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias PathAction =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addCloseFrom: FileAction? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let addChdir: PathAction? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
    }
}

/// A child could not be started or watched.
public enum SubprocessError: ExitStatusError, Equatable {
    case notFound(String, searchPath: String?)
    case spawn(String, String)
    case io(String)

    public var description: String {
        switch self {
        case .notFound(let name, let searchPath?): "program '\(name)' not found in PATH (\(searchPath))"
        case .notFound(let name, nil): "program \(name) does not exist"
        case .spawn(let name, let reason): "cannot start \(name): \(reason)"
        case .io(let reason): reason
        }
    }

    /// A missing program is a missing required service (69); the rest are internal failures.
    public var exitStatus: ExitStatus {
        switch self {
        case .notFound: .unavailable
        case .spawn, .io: .failure
        }
    }
}

/// A pipe that wakes the supervising poll(2): the waiter writes `exited` + the wait status, cancellation
/// writes `cancel`. Writes of at most PIPE_BUF bytes are atomic, so messages never interleave.
final class WakePipe: Sendable {
    static let cancel: UInt8 = 0x63
    static let exited: UInt8 = 0x78

    let readEnd: Int32
    // The write end, or -1 once closed; the lock keeps a late cancellation from writing to a reused descriptor.
    private let writeEnd: Mutex<Int32>

    init() throws(SubprocessError) {
        let (read, write) = try Subprocess.makePipe()
        Subprocess.setNonBlocking(read)
        Subprocess.setNonBlocking(write)
        readEnd = read
        writeEnd = Mutex(write)
    }

    func send(_ bytes: [UInt8]) {
        writeEnd.withLock { fd in
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        }
    }

    func dispose() {
        writeEnd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
        close(readEnd)
    }
}
