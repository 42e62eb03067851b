import Shared

/// The held-out slice of the local part that `loss` and `accuracy` are measured on
/// (`train_config.validation_fraction`, default 0.2). Drawn from the session seed, so it is the same rows in
/// every round. ⌈rows × fraction⌉ rows are held out, but always at least one row is left to train on.
struct ValidationSplit: Sendable, Equatable {
    /// Row indices, ascending.
    let training: [Int]
    let validation: [Int]

    init(rows: Int, fraction: Double, seed: UInt64) {
        var held = Int((Double(rows) * fraction).rounded(.up))
        held = max(0, min(held, rows - 1))
        guard held > 0 else {
            training = Array(0..<rows)
            validation = []
            return
        }
        var random = SeededRandom(seed: seed).derived(Streams.validationSplit)
        // The forward Fisher–Yates fixes the first `held` positions after `held` steps: the held-out rows of a full
        // permutation, without drawing the rest.
        var order = Array(0..<rows)
        random.shuffle(&order, prefix: held)
        validation = order[..<held].sorted()
        training = order[held...].sorted()
    }
}
