import Foundation

/// What the node does, for whoever watches it (the /metrics endpoint, tests): one closure, called on whatever
/// thread the event happens, so it must be quick and thread-safe. `Node` also logs each event.
struct RunnerEvents: Sendable {
    enum Event: Sendable {
        /// A webhook offered a task and the node took it (before `start`).
        case taskReceived(id: String)
        /// `start` returned the task; the pipeline begins.
        case taskStarted(id: String, type: String)
        /// `start` was refused or failed: the task is abandoned.
        case taskAbandoned(id: String, reason: String)
        /// The pipeline ended; `outcome` is `succeeded`, `failed` or `cancelled`; stage timings in seconds.
        case taskFinished(id: String, type: String, outcome: String, seconds: Double, stages: [(String, Double)])
        case registered(webhook: String)
        case reregistered
        case registrationFailed(reason: String)
        case heartbeat(ok: Bool, seconds: Double, reason: String?)
        /// One outbox entry left the outbox: delivered, dropped or dead-lettered.
        case delivered(taskID: String, kind: String, verdict: String)
        case outboxDepth(Int)
    }

    var observe: @Sendable (Event) -> Void

    static let none = RunnerEvents { _ in }
}

/// The URL the server rings, decided in this one place: `--webhook-url` when given, else the local listener.
/// The tunnel (docs/runner.md) replaces it with its public URL through `Node.setWebhookURL`.
enum WebhookAddress {
    static func url(override: String?, port: Int) -> String {
        override ?? "http://127.0.0.1:\(port)/webhook"
    }
}
