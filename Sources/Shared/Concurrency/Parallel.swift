import Foundation
import Synchronization

/// Data-parallel loops over the machine's cores. Results are handed back by index, so the outcome never
/// depends on scheduling.
public enum Parallel {
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body(worker)` for `worker` in `0..<count` on up to `count` threads at once and returns when every
    /// call has returned. `body` runs concurrently with itself: what it shares it may only read, or write
    /// through a `ParallelSlots` at indices no other worker writes.
    public static func workers(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = SharedWork(body)
            DispatchQueue.concurrentPerform(iterations: count) { worker in task.work(worker) }
        }
    }

    /// Computes `work(i)` for every `i` in `0..<count` on up to `cores` threads, then calls `collect(i, result)`
    /// in index order on the calling thread. `work` runs concurrently with itself: it may only read what it
    /// shares (the content being hashed), which is why it need not be `@Sendable`.
    public static func forEach<T>(_ count: Int, _ work: (Int) -> T, into collect: (Int, T) -> Void) {
        guard count > 1, cores > 1 else {
            for index in 0..<max(count, 0) { collect(index, work(index)) }
            return
        }
        let results = ParallelSlots<T>(count: count)
        defer { results.release() }
        let threads = min(count, cores)
        workers(threads) { worker in
            var index = worker
            while index < count {
                results.store(work(index), at: index)
                index += threads
            }
        }
        for index in 0..<count {
            // Every index below `count` was stored by exactly one worker before `workers` returned.
            guard let result = results.take(at: index) else { continue }
            collect(index, result)
        }
    }
}

/// One slot per index, filled by parallel workers. Each index must have exactly one writer, and the owner
/// reads the slots only after the workers are done: that ownership is the invariant behind
/// `@unchecked Sendable`. Call `release()` when done (the slots are manually allocated, so no copy-on-write
/// check runs on the hot path).
public final class ParallelSlots<Value>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Value?>
    private let stored = Atomic<Int>(0)

    public init(count: Int) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: nil)
    }

    /// Stores `value` at `index` (one writer per index).
    public func store(_ value: Value, at index: Int) {
        buffer[index] = value
        stored.add(1, ordering: .relaxed)
    }

    /// How many values have been stored.
    public var count: Int { stored.load(ordering: .relaxed) }

    /// Moves the value at `index` out, leaving the slot empty.
    public func take(at index: Int) -> Value? {
        let value = buffer[index]
        buffer[index] = nil
        return value
    }

    /// Frees the slots; call once, after the last `take`.
    public func release() {
        buffer.deinitialize()
        buffer.deallocate()
    }
}

/// A closure run on several threads at once: safe because `Parallel.workers` documents that it may only read
/// what it shares (or write disjoint slots), and it does not outlive the `concurrentPerform` call.
private struct SharedWork: @unchecked Sendable {
    let work: (Int) -> Void
    init(_ work: @escaping (Int) -> Void) { self.work = work }
}
