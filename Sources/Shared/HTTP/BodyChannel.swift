import Foundation
import Synchronization

/// The consumer's handle on a channel. When the last copy of a body (and of its iterators) is gone, the reader
/// is too, and the transfer behind it is aborted: nobody will read what it would deliver.
final class BodyReader: Sendable {
    let channel: BodyChannel
    init(_ channel: BodyChannel) { self.channel = channel }
    deinit { channel.abandon() }
}

/// Hands chunks from the thread running a transfer (the producer) to the task reading the body (the consumer).
/// The producer blocks while more than `limit` bytes wait unread.
final class BodyChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var producerBlocked = false
        var consumerGone = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let limit: Int
    /// Called once when the consumer goes away early (cancelled, or dropped the body): aborts the transfer.
    private let onAbandon: @Sendable () -> Void

    init(limit: Int = 1 << 20, onAbandon: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.onAbandon = onAbandon
    }

    enum PushResult { case delivered, consumerGone, timedOut, aborted }

    /// Producer: queues a chunk, then waits while too much is unread. Gives up at `deadline` (the request's
    /// total timeout) or as soon as `shouldAbort` says so (checked every 100 ms).
    func push(_ chunk: [UInt8], deadline: ContinuousClock.Instant, shouldAbort: () -> Bool) -> PushResult {
        let mustWait: Bool = state.withLock { state in
            if state.consumerGone { return false }
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: chunk)
                return false
            }
            state.chunks.append(chunk)
            state.buffered += chunk.count
            if state.buffered > limit {
                state.producerBlocked = true
                return true
            }
            return false
        }
        if !mustWait { return state.withLock { $0.consumerGone } ? .consumerGone : .delivered }
        while true {
            if wake.wait(timeout: .now() + .milliseconds(100)) == .success {
                return state.withLock { $0.consumerGone } ? .consumerGone : .delivered
            }
            let giveUp: PushResult? =
                shouldAbort() ? .aborted : ContinuousClock.now >= deadline ? .timedOut : nil
            guard let giveUp else { continue }
            let signalled = state.withLock { state in
                defer { state.producerBlocked = false }
                return !state.producerBlocked  // the consumer signalled between our wait and this lock
            }
            if signalled { wake.wait() }
            return giveUp
        }
    }

    /// Producer: the transfer ended, cleanly (nil) or with an error.
    func finish(_ error: (any Error)?) {
        state.withLock { state in
            guard state.end == nil else { return }
            state.end = error.map { .failure($0) } ?? .success(())
            if let waiter = state.waiter {
                state.waiter = nil
                if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
            }
        }
    }

    /// Consumer: the next chunk, nil at the end, or the transfer's error.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let ready: Result<[UInt8]?, any Error>? = state.withLock { state in
                    if state.consumerGone { return .failure(CancellationError()) }
                    if state.head < state.chunks.count {
                        let chunk = state.chunks[state.head]
                        state.head += 1
                        state.buffered -= chunk.count
                        if state.head > 64 && state.head * 2 > state.chunks.count {
                            state.chunks.removeFirst(state.head)
                            state.head = 0
                        }
                        if state.producerBlocked && state.buffered <= limit / 2 {
                            state.producerBlocked = false
                            wake.signal()
                        }
                        return .success(chunk)
                    }
                    switch state.end {
                    case .some(.success): return .success(nil)
                    case .some(.failure(let error)): return .failure(error)
                    case nil:
                        state.waiter = continuation
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            abandon()
        }
    }

    /// Consumer: will read no more (cancelled, or the body was dropped). Wakes everyone and aborts the transfer
    /// unless it already ended.
    func abandon() {
        let abort: Bool = state.withLock { state in
            if state.consumerGone { return false }
            state.consumerGone = true
            state.chunks = []
            state.head = 0
            state.buffered = 0
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(throwing: CancellationError())
            }
            if state.producerBlocked {
                state.producerBlocked = false
                wake.signal()
            }
            return state.end == nil
        }
        if abort { onAbandon() }
    }
}
