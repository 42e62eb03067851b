import Shared

/// The per-epoch order of the training rows: Shared's one Fisher–Yates (`SeededRandom.shuffle`).
enum Shuffle {
    static func rows(_ order: inout [Int], _ random: inout SeededRandom) {
        random.shuffle(&order)
    }
}
