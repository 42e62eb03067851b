import Shared

/// Fisher–Yates over row indices: the same draws and swaps as `SeededRandom.shuffle` (from the last element
/// down, `nextInt(below: i + 1)`), written for `[Int]` so the hot per-epoch shuffle is not a generic call
/// through value witnesses across the module boundary.
enum Shuffle {
    static func rows(_ order: inout [Int], _ random: inout SeededRandom) {
        guard order.count > 1 else { return }
        order.withUnsafeMutableBufferPointer { order in
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = random.nextInt(below: i + 1)
                if i != j { order.swapAt(i, j) }
            }
        }
    }
}
