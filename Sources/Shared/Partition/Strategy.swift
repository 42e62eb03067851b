/// The five ways to split the training set into parts. A strategy decides only counts — how many training rows of
/// each class (or of all rows) each part gets — and whether those rows are chosen at random; `Allocation.deal`
/// hands out the rows. Every strategy is a function of the counts, the configuration and one seeded generator, so
/// every participant computes the same assignment and takes its own part.
public enum Strategy: String, Sendable, CaseIterable {
    case random
    case stratified
    case sequential
    case nonIID = "non_iid"
    case labelSkew = "label_skew"

    /// Every accepted name, aliases included, as `--help` and the completions list them.
    public static let names = ["random", "iid", "stratified", "sequential", "non_iid", "dirichlet", "label_skew"]

    /// A name from a flag or a task. Case-insensitive, as the original runner lower-cased it; `iid` and
    /// `dirichlet` are the original's aliases.
    public init(name: String) throws(PartitionError) {
        switch name.lowercased() {
        case "random", "iid": self = .random
        case "stratified": self = .stratified
        case "sequential": self = .sequential
        case "non_iid", "dirichlet": self = .nonIID
        case "label_skew": self = .labelSkew
        default: throw .unknownStrategy(name)
        }
    }

    /// Whether the strategy splits by class, so it cannot run on a regression dataset. Its allocation has one
    /// group per class; the others have one group, all training rows.
    public var needsClasses: Bool { self == .stratified || self == .nonIID || self == .labelSkew }

    /// Whether the strategy draws random numbers (sequential is a function of the input order alone).
    var isSeeded: Bool { self != .sequential }

    /// How many training rows of each group go to each of `config.totalParts` parts. `groupSizes` holds the
    /// training rows of each class (class-based strategies) or one entry, the training set's size. Also returns
    /// how many Dirichlet draws it took (nil for the other strategies).
    func allocate(groupSizes: [Int], config: PartitionConfig, using random: inout SeededRandom)
        throws(PartitionError) -> (allocation: Allocation, draws: Int?)
    {
        let parts = config.totalParts
        switch self {
        case .sequential:
            return (Allocation(counts: groupSizes.map { Allocation.even($0, into: parts) }, shuffled: false), nil)
        case .random:
            return (Allocation(counts: groupSizes.map { Allocation.even($0, into: parts) }, shuffled: true), nil)
        case .stratified:
            return (Allocation(counts: Self.stratified(groupSizes, parts: parts), shuffled: true), nil)
        case .labelSkew:
            return (Allocation(counts: LabelSkew.counts(groupSizes, parts: parts), shuffled: true), nil)
        case .nonIID:
            let result = try Dirichlet.counts(
                groupSizes, parts: parts, alpha: config.alpha ?? 1, minSamples: config.minSamples,
                selfBalancing: config.selfBalancing, using: &random)
            return (Allocation(counts: result.counts, shuffled: true), result.draws)
        }
    }

    /// Each class (in `classes` order) dealt into near-equal shares. A class's `n % parts` leftover rows go to the
    /// parts after the previous class's leftovers (round-robin), so per-class counts differ by at most 1 between
    /// parts and so do the parts' total sizes.
    static func stratified(_ classSizes: [Int], parts: Int) -> [[Int]] {
        var offset = 0
        return classSizes.map { size in
            let base = size / parts
            let extra = size % parts
            defer { offset = (offset + extra) % parts }
            return (0..<parts).map { part in base + ((part - offset + parts) % parts < extra ? 1 : 0) }
        }
    }
}
