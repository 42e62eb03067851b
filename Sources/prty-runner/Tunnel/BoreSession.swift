import Foundation
import Shared
import Synchronization

/// Where and how the bore client connects, and the bounds it keeps. docs/tunnel.md explains each bound.
struct BoreConfig: Sendable, Equatable {
    /// The bore server's host name or address (the public URL's host too).
    var host: String
    var controlPort: UInt16 = BoreMessage.controlPort
    /// The public port to ask for; 0 = any.
    var requestedPort: UInt16 = 0
    /// The server's secret, if it has one.
    var secret: String? = nil
    /// Where proxied connections go: the node's webhook listener.
    var localHost = "127.0.0.1"
    var localPort: UInt16
    /// The server sends a heartbeat about every 500 ms; this much silence means the control connection is dead.
    var heartbeatTimeout = 8.0
    /// The most proxied connections at once; more wait for a free slot (as long as the server holds them, 10 s).
    var maxConnections = 64
    /// A proxied connection that moves no byte either way for this long is closed.
    var idleTimeout = 30.0
    /// No proxied connection lives longer than this.
    var connectionLifetime = 300.0
    /// Reconnect back-off: `backoffBase` × 2^attempt, at most `backoffMax`, each with jitter.
    var backoffBase = 0.5
    var backoffMax = 30.0

    /// `http://HOST:PORT/webhook`, brackets around an IPv6 address.
    func publicURL(port: UInt16) -> String {
        let host = host.contains(":") ? "[\(host)]" : host
        return "http://\(host):\(port)/webhook"
    }
}

/// One control connection to a bore server: connect, authenticate, `Hello`, then read heartbeats and
/// `Connection(id)` messages until the connection ends. Blocking; run it on a thread of its own (`offload`).
/// `stop()` from any thread ends `run()` at once.
final class BoreSession: Sendable {
    let config: BoreConfig
    /// The public port the server gave.
    let port: UInt16
    private let control: TCPSocket
    private let proxies: BoreProxies
    /// Bytes read past the handshake that belong to the next frames.
    private let leftover: Mutex<BoreFrameReader>

    private init(config: BoreConfig, port: UInt16, control: TCPSocket, reader: BoreFrameReader, proxies: BoreProxies) {
        self.config = config
        self.port = port
        self.control = control
        self.proxies = proxies
        self.leftover = Mutex(reader)
    }

    /// Connects and performs the handshake; every step waits at most bore's 3 s network timeout.
    static func open(_ config: BoreConfig, port requested: UInt16, proxies: BoreProxies) throws(TunnelError)
        -> BoreSession
    {
        let control = try TCPSocket.connect(
            host: config.host, port: config.controlPort, timeout: BoreMessage.networkTimeout,
            writeTimeout: BoreMessage.networkTimeout)
        var reader = BoreFrameReader()
        try authenticate(control, &reader, config)
        try control.write(BoreMessage.Client.hello(requested).frame)
        let reply = try receive(control, &reader, timeout: BoreMessage.networkTimeout, expectingHello: true)
        switch reply {
        case .hello(let port):
            return BoreSession(config: config, port: port, control: control, reader: reader, proxies: proxies)
        case .error(let message) where message.contains("invalid secret"):
            throw .secret(
                "the bore server at \(config.host) refused RUNNER_TUNNEL_SECRET (invalid secret); "
                    + "set the secret the server was started with")
        case .error(let message) where message.contains("requires secret") || message.contains("requires a secret"):
            throw .secret(
                "the bore server at \(config.host) requires a secret; set RUNNER_TUNNEL_SECRET")
        case .error(let message): throw .server(message)
        case .challenge:
            throw .secret("the bore server at \(config.host) requires a secret; set RUNNER_TUNNEL_SECRET")
        default: throw .protocolError("the bore server did not answer Hello")
        }
    }

    /// With a secret: answers the server's challenge, which comes first on every connection (the control
    /// connection and each `Accept`). A server that sends no challenge within bore's 3 s has no secret.
    static func authenticate(_ socket: TCPSocket, _ reader: inout BoreFrameReader, _ config: BoreConfig)
        throws(TunnelError)
    {
        guard let secret = config.secret else { return }
        let first: BoreMessage.Server
        do {
            first = try receive(socket, &reader, timeout: BoreMessage.networkTimeout)
        } catch .timedOut, .closed {
            first = .heartbeat
        }
        switch first {
        case .challenge(let id):
            guard let tag = BoreMessage.answer(secret: secret, challenge: id) else {
                throw .protocolError("the bore server sent a malformed challenge")
            }
            try socket.write(BoreMessage.Client.authenticate(tag).frame)
        case .error(let message): throw .server(message)
        default:
            throw .secret(
                "the bore server at \(config.host) does not ask for a secret, but RUNNER_TUNNEL_SECRET is set; "
                    + "unset it or use the server's secret")
        }
    }

    /// Reads frames until one message arrives (heartbeats are skipped while waiting for `Hello`).
    private static func receive(
        _ socket: TCPSocket, _ reader: inout BoreFrameReader, timeout: Double, expectingHello: Bool = false
    ) throws(TunnelError) -> BoreMessage.Server {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            while let frame = try reader.next() {
                let message = try BoreMessage.Server(frame: frame[...])
                if expectingHello && message == .heartbeat { continue }
                return message
            }
            let left = Double((deadline - ContinuousClock.now).milliseconds) / 1000
            guard left > 0, let count = try socket.read(into: &buffer, timeout: left) else {
                throw .timedOut("the bore server did not answer within \(Int(timeout)) s")
            }
            guard count > 0 else {
                throw .closed("the bore server closed the connection during the handshake")
            }
            reader.append(buffer[..<count])
        }
    }

    /// Serves the control connection until it ends, and returns why. Each `Connection(id)` starts a proxied
    /// connection (within `maxConnections`).
    func run() -> TunnelError {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var reader = leftover.withLock { $0 }
        while true {
            do {
                while let frame = try reader.next() {
                    switch try BoreMessage.Server(frame: frame[...]) {
                    case .heartbeat, .hello, .challenge: break
                    case .connection(let id): proxies.start(id: id, config: config)
                    case .error(let message): return .server(message)
                    }
                }
                guard let count = try control.read(into: &buffer, timeout: config.heartbeatTimeout) else {
                    return .silence(config.heartbeatTimeout)
                }
                guard count > 0 else { return .closed("the bore server closed the control connection") }
                reader.append(buffer[..<count])
            } catch {
                return error
            }
        }
    }

    /// Ends the control connection (and so `run()`); proxied connections carry on to their own end.
    func stop() { control.shutdown() }
}

/// The proxied connections of one bore client: counted against `maxConnections`, each on a thread of its own,
/// each bounded by the idle timeout and the lifetime, all ended by `stopAll()`. A connection announced while every
/// slot is busy waits (the server holds it for 10 s) and takes the next slot that frees, so clients that hold
/// their connections open delay a request by at most the idle timeout, never shut it out.
final class BoreProxies: Sendable {
    private struct Waiting {
        let id: String
        let config: BoreConfig
        let since: ContinuousClock.Instant
    }
    private struct Live {
        var sockets: [Int: [TCPSocket]] = [:]
        var waiting: [Waiting] = []
        var next = 0
        var stopped = false
    }
    /// bore's server drops an announced connection nobody accepted after 10 s; a little less, to be safe.
    static let serverHoldsFor = Duration.seconds(9)
    private let live = Mutex(Live())
    private let accepted = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let log: Log?

    init(log: Log?) { self.log = log }

    /// Connections proxied now.
    var active: Int { live.withLock { $0.sockets.count } }
    /// Connections taken since start.
    var acceptedCount: Int { accepted.load(ordering: .relaxed) }
    /// `Connection` messages never accepted: no slot freed while the server held them, or too many waited.
    var rejectedCount: Int { rejected.load(ordering: .relaxed) }

    /// Accepts connection `id` on a new connection to the server and proxies it to the local listener, now or
    /// when a slot frees.
    func start(id: String, config: BoreConfig) {
        enum Decision {
            case run(Int)
            case wait, reject
        }
        let decision: Decision = live.withLock { live in
            guard !live.stopped else { return .reject }
            if live.sockets.count < config.maxConnections {
                live.next += 1
                live.sockets[live.next] = []
                return .run(live.next)
            }
            guard live.waiting.count < config.maxConnections else { return .reject }
            live.waiting.append(Waiting(id: id, config: config, since: .now))
            return .wait
        }
        switch decision {
        case .run(let slot): launch(id: id, config: config, slot: slot)
        case .wait:
            log?.debug(
                "tunnel_connection_waits", "tunnel: \(config.maxConnections) proxied connections are open; one waits")
        case .reject:
            rejected.add(1, ordering: .relaxed)
            log?.warning(
                "tunnel_connection_rejected",
                "tunnel: \(config.maxConnections) proxied connections are open and as many wait; one was refused",
                ["max_connections": .int(config.maxConnections)])
        }
    }

    private func launch(id: String, config: BoreConfig, slot: Int) {
        accepted.add(1, ordering: .relaxed)
        startThread { [self] in
            proxy(id: id, config: config, slot: slot)
            finished(slot)
        }
    }

    private func proxy(id: String, config: BoreConfig, slot: Int) {
        do {
            let remote = try TCPSocket.connect(
                host: config.host, port: config.controlPort, timeout: BoreMessage.networkTimeout,
                writeTimeout: config.idleTimeout)
            guard register(remote, slot) else { return }
            var reader = BoreFrameReader()
            try BoreSession.authenticate(remote, &reader, config)
            try remote.write(BoreMessage.Client.accept(id).frame)
            let local = try TCPSocket.connect(
                host: config.localHost, port: config.localPort, timeout: BoreMessage.networkTimeout,
                writeTimeout: config.idleTimeout)
            guard register(local, slot) else { return }
            BoreProxies.pump(remote, local, idle: config.idleTimeout, lifetime: config.connectionLifetime)
            remote.shutdown()
            local.shutdown()
        } catch {
            log?.debug("tunnel_proxy_failed", "tunnel: a proxied connection failed: \(error)")
        }
    }

    /// Frees `slot` and gives it to the oldest waiting connection the server still holds.
    private func finished(_ slot: Int) {
        let next: (Waiting, Int)? = live.withLock { live in
            live.sockets.removeValue(forKey: slot)
            let now = ContinuousClock.now
            while !live.waiting.isEmpty {
                let waiting = live.waiting.removeFirst()
                guard !live.stopped, now - waiting.since < Self.serverHoldsFor else {
                    rejected.add(1, ordering: .relaxed)
                    continue
                }
                live.next += 1
                live.sockets[live.next] = []
                return (waiting, live.next)
            }
            return nil
        }
        if let (waiting, slot) = next { launch(id: waiting.id, config: waiting.config, slot: slot) }
    }

    /// Keeps the socket so `stopAll` can end it; false (and the socket shut) once stopped.
    private func register(_ socket: TCPSocket, _ slot: Int) -> Bool {
        let kept = live.withLock { live in
            guard !live.stopped else { return false }
            live.sockets[slot, default: []].append(socket)
            return true
        }
        if !kept { socket.shutdown() }
        return kept
    }

    /// Ends every proxied connection and takes no more.
    func stopAll() {
        let sockets = live.withLock { live in
            live.stopped = true
            live.waiting = []
            return live.sockets.values.flatMap { $0 }
        }
        for socket in sockets { socket.shutdown() }
    }

    /// Copies bytes both ways until both directions have ended (an end of stream on one side is passed on as a
    /// half-close), nothing moved for `idle` seconds, or `lifetime` seconds passed. A peer that stops reading
    /// blocks a write at most the sockets' write timeout (the idle timeout).
    static func pump(_ a: TCPSocket, _ b: TCPSocket, idle: Double, lifetime: Double) {
        let end = ContinuousClock.now + .seconds(lifetime)
        var lastActivity = ContinuousClock.now
        var open = (a: true, b: true)  // whether each side may still send to us
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while open.a || open.b {
            let now = ContinuousClock.now
            let idleLeft = lastActivity + .seconds(idle) - now
            let lifeLeft = end - now
            guard idleLeft > .zero, lifeLeft > .zero else { return }
            var fds = [  // a negative fd is ignored by poll(2): an ended direction is not woken by its hang-up
                pollfd(fd: open.a ? a.fd : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.b ? b.fd : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, Int32(clamping: min(idleLeft, lifeLeft).milliseconds))
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            guard ready > 0 else { continue }
            for (index, (from, to)) in [(a, b), (b, a)].enumerated() where fds[index].revents != 0 {
                guard index == 0 ? open.a : open.b else { continue }
                let count = (try? from.readNow(into: &buffer)) ?? 0
                if count == 0 {
                    if index == 0 { open.a = false } else { open.b = false }
                    to.shutdownWrite()
                    continue
                }
                let written = buffer.withUnsafeBytes { raw in
                    (try? to.write(UnsafeRawBufferPointer(rebasing: raw[..<count]))) != nil
                }
                guard written else { return }
                lastActivity = ContinuousClock.now
            }
        }
    }
}
