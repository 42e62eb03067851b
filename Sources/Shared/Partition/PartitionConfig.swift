/// Which rows to output: a training part, or the held-out test set.
public enum Take: String, Sendable, CaseIterable {
    case train, test
}

/// Everything that decides a partition, merged from the task's `partition_config` and seed and then the flags
/// (flags win), and checked before any data is read.
public struct PartitionConfig: Sendable, Equatable {
    /// `partition_config` keys (docs/formats.md §3).
    public static let keys = [
        "strategy", "total_parts", "part_index", "alpha", "min_samples", "overlap_ratio", "self_balancing",
        "holdout",
    ]

    /// The most parts a dataset is split into: every part costs memory for its counts even when it is empty.
    public static let maxParts = 1_000_000

    public var strategy = Strategy.random
    public var totalParts = 1
    public var partIndex = 0
    /// Dirichlet concentration; required (and only used) by non_iid.
    public var alpha: Double?
    public var minSamples = 0
    public var overlapRatio = 0.0
    public var selfBalancing = false
    public var holdout = 0.0
    public var take = Take.train
    /// The session seed: `--seed`, else the task's `seed`, else SHA-256(session_id), else 0.
    public var seed: UInt64 = 0

    public init() {}

    /// The task's section and seed, then the flags on top. Types are checked here; ranges in `validate()`.
    public init(task: TaskConfig, arguments: Arguments) throws {
        let section = try task.section("partition_config", known: Self.keys)
        if let name = try section.string("strategy") { strategy = try Strategy(name: name) }
        if let value = try section.int("total_parts") { totalParts = value }
        if let value = try section.int("part_index") { partIndex = value }
        if let value = try section.double("alpha") { alpha = value }
        if let value = try section.int("min_samples") { minSamples = value }
        if let value = try section.double("overlap_ratio") { overlapRatio = value }
        if let value = try section.bool("self_balancing") { selfBalancing = value }
        if let value = try section.double("holdout") { holdout = value }
        seed = try task.sessionSeed()

        if let name = arguments.value("strategy") { strategy = try Strategy(name: name) }
        // Flags are parsed without a range so that in-range mistakes get validate()'s own messages; the
        // `expected` text is what a value that is not an integer at all is told.
        if let value = try arguments.int("parts", expected: "an integer in 1...\(Self.maxParts)") { totalParts = value }
        if let value = try arguments.int("index", expected: "an integer in 0...(parts − 1)") { partIndex = value }
        if let text = arguments.value("alpha") {
            // Parsed here rather than with a range, so that 0 or -1 get the seed's own message from validate().
            guard let value = Double(text), value.isFinite else {
                throw UsageError("--alpha expects a positive number, got '\(text)'")
            }
            alpha = value
        }
        if let value = try arguments.int("min-samples", expected: "an integer ≥ 0") { minSamples = value }
        if let value = try arguments.double("overlap", expected: "a number in [0, 1]") { overlapRatio = value }
        if arguments.flag("self-balancing") { selfBalancing = true }
        if let value = try arguments.double("holdout", expected: "a number in [0, 1)") { holdout = value }
        if let text = arguments.value("take") {
            guard let value = Take(rawValue: text) else {
                throw UsageError("--take must be train or test, got '\(text)'")
            }
            take = value
        }
        if let text = arguments.value("seed") {
            guard let value = UInt64(text) else {
                throw UsageError("--seed expects an integer in 0...18446744073709551615, got '\(text)'")
            }
            seed = value
        }
        try validate()
    }

    /// Range checks that need no data.
    public func validate() throws(PartitionError) {
        guard totalParts >= 1 else { throw .tooFewParts(totalParts) }
        guard totalParts <= Self.maxParts else { throw .tooManyParts(totalParts) }
        guard (0..<totalParts).contains(partIndex) else {
            throw .partIndexOutOfRange(index: partIndex, parts: totalParts)
        }
        if strategy == .nonIID {
            guard let alpha else { throw .alphaMissing }
            guard alpha > 0 else { throw .alphaNotPositive(alpha) }
        }
        guard minSamples >= 0 else { throw .negativeMinSamples(minSamples) }
        guard (0...1).contains(overlapRatio) else { throw .overlapOutOfRange(overlapRatio) }
        guard holdout >= 0, holdout < 1 else { throw .holdoutOutOfRange(holdout) }
        if take == .test, holdout == 0 { throw .testNeedsHoldout }
    }

    /// How many rows of the next part part i receives as copies: ⌊r·size⌋, with a relative tolerance of 1e-9 so
    /// that 0.29 × 100 gives 29 (in binary floating point it is 28.999999999999996).
    static func overlapCount(ratio: Double, size: Int) -> Int {
        guard ratio > 0, size > 0 else { return 0 }
        let exact = ratio * Double(size)
        return min(Int((exact + exact * 1e-9).rounded(.down)), size)
    }
}
