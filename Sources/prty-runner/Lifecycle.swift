/// The node's standing with the server, as a plain value: registration, heartbeats, back-off and
/// re-registration. No I/O and no clock: `Node` performs the actions and feeds back what the server answered.
/// `jitter` arguments are draws from [-1, 1] (the caller's random source), so tests choose them.
///
///     var lifecycle = Lifecycle(interval: 30)
///     lifecycle.start()                                  // .register(after: 0)
///     lifecycle.registerAnswered(.status(201, ""), jitter: 0)   // .heartbeat(after: 0): first beat at once
///     lifecycle.heartbeatAnswered(.status(500, "runner not found"), jitter: 0)   // .register(after: 0)
struct Lifecycle: Equatable {
    enum Phase: Equatable { case starting, registering, registered, stopping }
    enum Action: Equatable {
        case register(after: Double)
        case heartbeat(after: Double)
        /// Shutting down: no more calls from this loop.
        case stop
    }

    let interval: Double
    private(set) var phase = Phase.starting
    /// Failed calls in a row (registration or heartbeat).
    private(set) var failures = 0
    /// How often the server forgot this runner and it registered again.
    private(set) var reregistrations = 0

    init(interval: Double) { self.interval = interval }

    /// The listener is up: register now.
    mutating func start() -> Action {
        guard phase == .starting else { return phase == .stopping ? .stop : .register(after: 0) }
        phase = .registering
        return .register(after: 0)
    }

    mutating func registerAnswered(_ reply: ServerAPI.Reply, jitter: Double) -> Action {
        guard phase != .stopping else { return .stop }
        if reply.isSuccess {
            phase = .registered
            failures = 0
            return .heartbeat(after: 0)
        }
        failures += 1
        return .register(after: Self.backoff(failures: failures, jitter: jitter))
    }

    mutating func heartbeatAnswered(_ reply: ServerAPI.Reply, jitter: Double) -> Action {
        guard phase != .stopping else { return .stop }
        if reply.isSuccess {
            failures = 0
            return .heartbeat(after: interval * (1 + 0.1 * Self.clamp(jitter)))
        }
        if reply.runnerUnknown {  // the server restarted or swept us: register again and carry on
            phase = .registering
            reregistrations += 1
            failures = 0
            return .register(after: 0)
        }
        failures += 1
        return .heartbeat(after: min(interval, Self.backoff(failures: failures, jitter: jitter)))
    }

    mutating func stop() -> Action {
        phase = .stopping
        return .stop
    }

    /// 1 s, 2 s, 4 s … capped at 60 s, ±20 % jitter so a fleet does not retry in step.
    static func backoff(failures: Int, jitter: Double) -> Double {
        let base = min(60, Double(1 << min(max(failures - 1, 0), 6)))
        return base * (1 + 0.2 * clamp(jitter))
    }

    private static func clamp(_ value: Double) -> Double { value.isFinite ? min(1, max(-1, value)) : 0 }
}
