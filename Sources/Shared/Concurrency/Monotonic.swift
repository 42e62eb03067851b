import Foundation

/// Seconds on CLOCK_MONOTONIC: for durations and deadlines, never for dates (it does not jump when the wall
/// clock is set). The one clock every tool measures with.
public enum Monotonic {
    public static func seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
