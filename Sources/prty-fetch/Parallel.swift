import Foundation

/// Data-parallel loops over the machine's cores, with results handed back in index order so the outcome
/// never depends on scheduling.
enum Parallel {
    static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Computes `work(i)` for every `i` in `0..<count` on up to `cores` threads, then calls `collect(i, result)`
    /// in index order on the calling thread. `work` runs concurrently with itself: it may only read what it
    /// shares (the content being hashed), which is why it need not be `@Sendable`.
    static func forEach<T>(_ count: Int, _ work: (Int) -> T, into collect: (Int, T) -> Void) {
        guard count > 1, cores > 1 else {
            for index in 0..<count { collect(index, work(index)) }
            return
        }
        var results = [T?](repeating: nil, count: count)
        withoutActuallyEscaping(work) { work in
            results.withUnsafeMutableBufferPointer { buffer in
                let output = SharedSlots(buffer)
                let task = ReadOnlyWork(work)
                let workers = min(count, cores)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var index = worker
                    while index < count {
                        output.buffer[index] = task.work(index)
                        index += workers
                    }
                }
            }
        }
        for index in 0..<count { collect(index, results[index]!) }
    }
}

/// Slots that several workers fill at disjoint indices: safe because each index has exactly one writer and
/// the owner reads them only after `concurrentPerform` has returned.
private struct SharedSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// A closure run on several threads at once: safe because `Parallel.forEach` requires it to only read what it
/// shares, and it does not outlive the `concurrentPerform` call.
private struct ReadOnlyWork<T>: @unchecked Sendable {
    let work: (Int) -> T
    init(_ work: @escaping (Int) -> T) { self.work = work }
}
