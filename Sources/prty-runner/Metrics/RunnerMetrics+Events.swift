import Foundation
import Shared
import Synchronization

/// The node's events (`RunnerEvents`) as series. Registrations are told apart by what changed: the first is
/// `start`, one with a new webhook URL `url_change` (the tunnel moved), one with the same URL `runner_not_found`
/// (the server forgot the node and it registered again).
extension RunnerMetrics {
    func observe(_ event: RunnerEvents.Event) {
        switch event {
        case .taskReceived, .reregistered, .registrationFailed:
            break  // received tasks are counted by type as the webhook answers; re-registration when it succeeds
        case .taskStarted(_, let type):
            tasksStarted.increment(type)
        case .taskAbandoned:
            tasksFinished.increment("unknown", "abandoned")
        case .taskFinished(_, let type, let outcome, let seconds, let stages):
            tasksFinished.increment(type, outcome)
            taskDuration.observe(seconds, type, outcome)
            for (stage, seconds) in stages { stageDuration.observe(seconds, stage) }
        case .registered(let webhook):
            registrations.increment(registrationReason(webhook: webhook))
        case .heartbeat(let ok, _, _):
            if ok { heartbeats.increment() } else { heartbeatFailures.increment() }
        case .delivered(_, _, let verdict):
            if verdict.hasPrefix("dead letter") { deadLetters.increment() }
        case .outboxDepth(let depth):
            outboxEntries.set(Double(depth))
        }
    }
}
