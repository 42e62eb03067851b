import Foundation
import Synchronization

/// SIGINT/SIGTERM as a flag that long work polls between steps (a training batch, a downloaded block), so a
/// tool stops cleanly with exit 130 instead of dying mid-write. `Tool.run` installs it.
public enum Interruption {
    // Safe to share: an atomic, written only by the signal sources below and read by anyone.
    private static let flag = Atomic<Int32>(0)
    // Keeps the dispatch sources alive for the life of the process; written once, in `install`.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    // Set once by a daemon that bounds its own shutdown (`managedShutdown()`); read by the signal handlers.
    private static let managed = Atomic<Bool>(false)
    // The signal a managed daemon was asked to stop by (0: none). Kept apart from `flag`, so the daemon's own
    // last HTTP calls (unregister, the outbox flush) are not aborted as an interrupted tool's would be.
    private static let shutdownFlag = Atomic<Int32>(0)

    /// The signal received, if any (SIGINT or SIGTERM).
    public static var signal: Int32? {
        let value = flag.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
    public static var isRequested: Bool { signal != nil }

    /// Throws `InterruptedError` once a signal has arrived: call it between units of work.
    public static func check() throws(InterruptedError) {
        if let signal { throw InterruptedError(signal: signal) }
    }

    /// Routes SIGINT and SIGTERM to the flag. If the work has not stopped `grace` seconds later, the process
    /// exits with 130 anyway.
    public static func install(tool: String, grace: Double = 5) {
        for number in [SIGINT, SIGTERM] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if managed.load(ordering: .relaxed) {
                    // A daemon's own shutdown is under way (it has its own bound): a second signal exits at once.
                    if shutdownFlag.exchange(number, ordering: .relaxed) != 0 {
                        Log.writeStderr("\(tool): interrupted again; exiting now\n")
                        exit(ExitStatus.interrupted.rawValue)
                    }
                    return
                }
                flag.store(number, ordering: .relaxed)
                DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                    Log.writeStderr("\(tool): interrupted\n")
                    exit(ExitStatus.interrupted.rawValue)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// For a daemon that bounds its own shutdown (prty-runner's RUNNER_SHUTDOWN_GRACE): the first signal only
    /// sets `shutdownRequested` (not `signal`), with no exit after `grace`; a second one exits 130 at once.
    public static func managedShutdown() { managed.store(true, ordering: .relaxed) }

    /// After `managedShutdown()`: whether SIGINT/SIGTERM asked the daemon to stop.
    public static var shutdownRequested: Bool { shutdownFlag.load(ordering: .relaxed) != 0 }

    /// For tests: forget a signal.
    public static func reset() { flag.store(0, ordering: .relaxed) }
}

/// SIGINT or SIGTERM arrived before the work finished: exit 130.
public struct InterruptedError: ExitStatusError {
    public let signal: Int32
    public var description: String { "interrupted by \(signal == SIGTERM ? "SIGTERM" : "SIGINT")" }
    public var exitStatus: ExitStatus { .interrupted }
}
