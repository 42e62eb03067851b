import Foundation

/// Runs blocking work (`poll`, `waitpid`, `curl_easy_perform`, a big file read) on a thread of its own, never
/// on the cooperative pool, whose few threads must stay free for async work.
///
/// Not `DispatchQueue.global()`: on Linux its worker pool is sized to the CPU count and cannot see that a
/// worker is blocked in a system call, so on a 2-core machine two waiting children would stall every other
/// offloaded job (and a child's waiter) behind them. A thread costs tens of microseconds, nothing next to
/// the blocking work it carries.
public func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        startThread { continuation.resume(with: Result(catching: work)) }
    }
}

/// Starts a detached thread running `body` (for blocking waits that report back on their own).
public func startThread(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.stackSize = 1 << 20
    thread.start()
}
