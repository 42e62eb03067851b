import Foundation
import Shared

/// What a training loop polls between batches: SIGINT/SIGTERM (`Interruption`, exit 130) and `--deadline`
/// (exit 1). Polling is an atomic load and a vDSO clock read, so it costs nothing next to a batch.
struct TrainingControl: Sendable {
    /// When training must have finished, on the monotonic clock; `nil` for no deadline.
    var deadline: Double?
    /// The deadline as the operator wrote it, for the message.
    var deadlineText: String

    static let unlimited = TrainingControl(deadline: nil, deadlineText: "")

    /// A deadline `seconds` from now.
    static func within(seconds: Double, text: String) -> TrainingControl {
        TrainingControl(deadline: Monotonic.seconds() + seconds, deadlineText: text)
    }

    /// Throws once a signal has arrived or the deadline has passed.
    func check(epoch: Int, epochs: Int) throws {
        try Interruption.check()
        if isPastDeadline {
            throw TrainError.deadline(limit: deadlineText, epoch: epoch, epochs: epochs)
        }
    }

    /// Whether the deadline, if any, has passed (also read by the forest's tree workers between trees).
    var isPastDeadline: Bool {
        guard let deadline else { return false }
        return Monotonic.seconds() > deadline
    }
}
