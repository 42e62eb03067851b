/// Which tasks the node takes, as a plain value: one at a time, de-duplicated by id (docs/runner.md).
/// The webhook asks `offered`; `Node` reports `abandoned` (start refused) and `finished`.
///
///     var tasks = TaskLifecycle()
///     tasks.offered("a", now: 0)   // .accepted
///     tasks.offered("a", now: 1)   // .skipped: the server's duplicate LLM delivery
///     tasks.offered("b", now: 1)   // .busy: 409
struct TaskLifecycle: Equatable {
    enum Offer: Equatable {
        /// 200 ok: the node claims it with `start` and runs what that returns.
        case accepted
        /// 200 skipped: in progress or done (kept `retention` seconds).
        case skipped
        /// 409 busy: a different task is active.
        case busy
        /// 503: the node is shutting down.
        case closed
    }

    /// Seconds a finished id is remembered: the server may offer it again (the 5-minute stall sweep).
    static let retention: Double = 24 * 3600

    private(set) var active: String?
    private(set) var finished: [String: Double] = [:]
    private(set) var isClosed = false

    init(finished: [String: Double] = [:]) { self.finished = finished }

    mutating func offered(_ id: String, now: Double) -> Offer {
        if active == id || finished[id] != nil { return .skipped }
        if isClosed { return .closed }
        if active != nil { return .busy }
        active = id
        return .accepted
    }

    /// `start` was refused or failed: forget the id so a later offer is taken again.
    mutating func abandoned(_ id: String) {
        if active == id { active = nil }
    }

    /// The task's outcome is in the outbox: remember the id, take the next one.
    mutating func finished(_ id: String, now: Double) {
        if active == id { active = nil }
        finished[id] = now
    }

    /// Forgets ids finished more than `retention` ago.
    mutating func sweep(now: Double) {
        finished = finished.filter { now - $0.value < Self.retention }
    }

    /// Shutdown: no new tasks.
    mutating func close() { isClosed = true }
}
