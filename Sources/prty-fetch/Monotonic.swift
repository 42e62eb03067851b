import Foundation

// Temporary: Shared/Concurrency/Monotonic.swift replaces this once main has it.
enum Monotonic {
    static func seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
