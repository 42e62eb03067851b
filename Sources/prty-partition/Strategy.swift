import Shared

/// The five ways to split the training set into parts. Every strategy is a function of the training set, the
/// configuration and one seeded generator, so every participant computes the same assignment and takes its own part.
enum Strategy: String, Sendable, CaseIterable {
    case random
    case stratified
    case sequential
    case nonIID = "non_iid"
    case labelSkew = "label_skew"

    /// Every accepted name, aliases included, as `--help` and the completions list them.
    static let names = ["random", "iid", "stratified", "sequential", "non_iid", "dirichlet", "label_skew"]

    /// A name from a flag or a task. Case-insensitive, as the original runner lower-cased it; `iid` and
    /// `dirichlet` are the original's aliases.
    init(name: String) throws(PartitionError) {
        switch name.lowercased() {
        case "random", "iid": self = .random
        case "stratified": self = .stratified
        case "sequential": self = .sequential
        case "non_iid", "dirichlet": self = .nonIID
        case "label_skew": self = .labelSkew
        default: throw .unknownStrategy(name)
        }
    }

    /// Whether the strategy splits by class, so it cannot run on a regression dataset.
    var needsClasses: Bool { self == .stratified || self == .nonIID || self == .labelSkew }

    /// Whether the strategy draws random numbers (sequential is a function of the input order alone).
    var isSeeded: Bool { self != .sequential }

    /// Splits `training` into `config.totalParts` parts of dataset row numbers. Parts are disjoint and cover the
    /// training rows; the order of rows inside a part is set later (`PartitionPlan`). Also returns how many
    /// Dirichlet draws it took (nil for the other strategies).
    func assign(_ training: TrainingSet, config: PartitionConfig, using random: inout SeededRandom)
        throws(PartitionError) -> (parts: [[Int]], draws: Int?)
    {
        let parts = config.totalParts
        switch self {
        case .sequential:
            return (Self.slices(training.rows, parts: parts), nil)
        case .random:
            var rows = training.rows
            random.shuffle(&rows)
            return (Self.slices(rows, parts: parts), nil)
        case .stratified:
            return (Self.stratified(training.classRows, parts: parts, using: &random), nil)
        case .labelSkew:
            return (LabelSkew.assign(training.classRows, parts: parts, using: &random), nil)
        case .nonIID:
            let result = try Dirichlet.partition(
                training.classRows, parts: parts, alpha: config.alpha ?? 1, minSamples: config.minSamples,
                selfBalancing: config.selfBalancing, using: &random)
            return (result.parts, result.draws)
        }
    }

    /// `rows` cut into `parts` contiguous slices; the first `count % parts` slices hold one row more.
    static func slices(_ rows: [Int], parts: Int) -> [[Int]] {
        let base = rows.count / parts, extra = rows.count % parts
        var result = [[Int]]()
        result.reserveCapacity(parts)
        var start = 0
        for part in 0..<parts {
            let size = base + (part < extra ? 1 : 0)
            result.append(Array(rows[start..<start + size]))
            start += size
        }
        return result
    }

    /// Each class (in `classes` order) shuffled and dealt into near-equal slices. A class's `n % parts` leftover
    /// rows go to the parts after the previous class's leftovers (round-robin), so per-class counts differ by at
    /// most 1 between parts and so do the parts' total sizes.
    static func stratified(_ classRows: [[Int]], parts: Int, using random: inout SeededRandom) -> [[Int]] {
        var result = [[Int]](repeating: [], count: parts)
        var offset = 0
        for rowsOfClass in classRows {
            var rows = rowsOfClass
            random.shuffle(&rows)
            let base = rows.count / parts, extra = rows.count % parts
            var start = 0
            for part in 0..<parts {
                let size = base + ((part - offset + parts) % parts < extra ? 1 : 0)
                result[part].append(contentsOf: rows[start..<start + size])
                start += size
            }
            offset = (offset + extra) % parts
        }
        return result
    }
}

/// What a strategy splits: the training rows (after any held-out split), in input order.
struct TrainingSet: Sendable {
    /// Dataset row numbers, ascending.
    var rows: [Int]
    /// Classification: the training rows of each class, in `classes` order, each ascending. Empty for regression.
    var classRows: [[Int]]
}
