import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One connected TCP socket (POSIX), used by the bore client for its control connection and for each proxied
/// connection. Blocking calls with explicit time bounds: `connect` and every `read` wait at most the time they are
/// given (`poll(2)`), and a write blocks at most `SO_SNDTIMEO`. Another thread may call `shutdown()` to wake a
/// blocked read or write at once (that is how a tunnel is stopped); the descriptor is closed only in `deinit`, so
/// it can never be reused under a thread still holding it.
final class TCPSocket: Sendable {
    let fd: Int32
    private let isShut = Atomic<Bool>(false)

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Connects to `host:port` (a name is resolved with `getaddrinfo`, every address tried in turn), waiting at
    /// most `timeout` seconds in all. Writes then block at most `writeTimeout` seconds.
    static func connect(host: String, port: UInt16, timeout: Double, writeTimeout: Double = 10) throws(TunnelError)
        -> TCPSocket
    {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .unreachable("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let deadline = ContinuousClock.now + .seconds(timeout)
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, streamType, 0)
            guard fd >= 0 else { continue }
            let socket = TCPSocket(fd: fd)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = System.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                let left = max(.zero, deadline - ContinuousClock.now)
                if socket.poll(Int16(POLLOUT), milliseconds: left.milliseconds) {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    errno = ETIMEDOUT
                }
            }
            guard result == 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            _ = fcntl(fd, F_SETFL, flags)
            socket.configure(writeTimeout: writeTimeout)
            return socket
        }
        throw .unreachable("cannot connect to \(host):\(port): \(lastError)")
    }

    private func configure(writeTimeout: Double) {
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, socklen_t(MemoryLayout<Int32>.size))
        var limit = timeval(tv_sec: Int(writeTimeout), tv_usec: Int((writeTimeout - writeTimeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Waits until `events` are ready or `milliseconds` pass (negative: forever); true when ready (a hang-up or
    /// error counts as ready, so the following read reports it).
    func poll(_ events: Int16, milliseconds: Int) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let result = System.poll(&entry, 1, Int32(clamping: milliseconds))
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }

    /// Reads what is available into `buffer` (up to its capacity), waiting at most `timeout` seconds.
    /// Returns the byte count, 0 at end of stream, or `nil` when the time passed with nothing to read.
    func read(into buffer: inout [UInt8], timeout: Double) throws(TunnelError) -> Int? {
        guard poll(Int16(POLLIN), milliseconds: Int(timeout * 1000)) else { return nil }
        return try readNow(into: &buffer)
    }

    /// One `recv` on a socket that `poll` said is readable.
    func readNow(into buffer: inout [UInt8]) throws(TunnelError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            if errno == ECONNRESET || isShut.load(ordering: .relaxed) { return 0 }
            throw .closed("read failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes all of `bytes`; fails when the peer is gone or a write stays blocked past the write timeout.
    func write(_ bytes: UnsafeRawBufferPointer) throws(TunnelError) {
        var offset = 0
        while offset < bytes.count {
            let count = send(fd, bytes.baseAddress! + offset, bytes.count - offset, System.noSignal)
            if count > 0 {
                offset += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw .closed("the peer stopped reading (write timed out)")
            } else {
                throw .closed("write failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(TunnelError) {
        var failure: TunnelError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(TunnelError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// No more writes from this side (the peer reads end of stream); reads continue.
    func shutdownWrite() { _ = System.shutdown(fd, Int32(SHUT_WR)) }

    /// Ends both directions: a read or write blocked on another thread returns at once. Safe to call twice.
    func shutdown() {
        guard !isShut.exchange(true, ordering: .relaxed) else { return }
        _ = System.shutdown(fd, Int32(SHUT_RDWR))
    }

    #if canImport(Glibc)
        static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
        static let streamType = SOCK_STREAM
    #endif
}

/// The C library's functions whose names `TCPSocket` reuses for its own methods.
private enum System {
    #if canImport(Glibc)
        static let connect = Glibc.connect
        static let poll = Glibc.poll
        static let shutdown = Glibc.shutdown
        /// A write to a closed peer returns EPIPE instead of raising SIGPIPE (send(2), MSG_NOSIGNAL).
        static let noSignal = Int32(MSG_NOSIGNAL)
    #else
        static let connect = Darwin.connect
        static let poll = Darwin.poll
        static let shutdown = Darwin.shutdown
        static let noSignal: Int32 = 0  // SO_NOSIGPIPE is set on the socket instead
    #endif
}

extension Duration {
    /// Whole milliseconds, rounded up, at least 0.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
}
