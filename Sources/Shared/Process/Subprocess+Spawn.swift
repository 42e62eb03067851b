import Foundation

// MARK: - Spawning

extension Subprocess {
    func runBlocking(wake: WakePipe) throws -> Result {
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

        let started = Monotonic.seconds()
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
