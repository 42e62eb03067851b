import Synchronization

/// Asks a running transfer to stop: set by task cancellation (or a dropped body), read by the transfer's loop and
/// its progress callback, which also watch `Interruption` (SIGINT/SIGTERM).
final class AbortFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)
    /// False for a request that must still run after SIGINT/SIGTERM (`HTTPRequest.continuesAfterInterruption`).
    private let watchesInterruption: Bool
    init(watchesInterruption: Bool = true) { self.watchesInterruption = watchesInterruption }
    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    var isRequested: Bool { isCancelled || (watchesInterruption && Interruption.isRequested) }
    /// The error an aborted transfer reports: the signal if there was one, else cancellation.
    var error: any Error {
        if watchesInterruption, let signal = Interruption.signal { return InterruptedError(signal: signal) }
        return CancellationError()
    }
}
