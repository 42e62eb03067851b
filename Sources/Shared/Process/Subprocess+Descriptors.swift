import Foundation

// MARK: - File descriptors for the child's stdin, stdout and stderr

extension Subprocess {
    /// A pipe whose ends are close-on-exec (the child gets its end through dup2, which clears the flag).
    static func makePipe() throws(SubprocessError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .io("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Makes the parent's end of a pipe non-blocking (never the child's: O_NONBLOCK belongs to the open file,
    /// which dup2 shares, and most programs fail on EAGAIN).
    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    static func openFile(_ path: String, _ flags: Int32, what: String) throws(SubprocessError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot open \(path) for \(what): \(String(cString: strerror(errno)))") }
        return fd
    }
}
