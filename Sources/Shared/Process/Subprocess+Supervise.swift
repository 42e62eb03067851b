import Foundation

// MARK: - Supervising

extension Subprocess {
    /// The parent's ends of the pipes; -1 once closed.
    struct ParentEnds {
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

    func supervise(pid: Int32, started: Double, ends: inout ParentEnds, wake: WakePipe) throws -> Result {
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
            let now = Monotonic.seconds()
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
                                phase = .terminating(killAt: Monotonic.seconds() + killGrace)
                            }
                        } else if tag == WakePipe.exited, messages.count >= 5 {
                            exitStatus = messages[1..<5].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                            exitedAt = Monotonic.seconds()
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
