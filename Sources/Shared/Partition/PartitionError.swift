import Foundation

/// Every way prty-partition refuses a configuration or a dataset, with the exit status docs/exit-codes.md assigns:
/// 64 for a configuration that is invalid or cannot be met (flags or task), 65 for data the strategy cannot split.
public enum PartitionError: ExitStatusError, Equatable {
    case unknownStrategy(String)
    case tooFewParts(Int)
    case tooManyParts(Int)
    case partIndexOutOfRange(index: Int, parts: Int)
    case alphaMissing
    case alphaNotPositive(Double)
    case negativeMinSamples(Int)
    case overlapOutOfRange(Double)
    case holdoutOutOfRange(Double)
    case testNeedsHoldout
    case humanNeedsStats
    /// A class-based strategy (stratified, non_iid, label_skew) on a regression dataset.
    case needsClasses(Strategy)
    /// min_samples × parts exceeds the training set: no strategy can meet it.
    case minSamplesUnreachable(minSamples: Int, parts: Int, available: Int)
    /// label_skew's class groups leave a part below min_samples.
    case partBelowMinimum(part: Int, size: Int, minSamples: Int)
    /// Every Dirichlet draw left some part below min_samples.
    case dirichletDrawsExhausted(alpha: Double, minSamples: Int, draws: Int, smallest: Int)

    public var exitStatus: ExitStatus {
        switch self {
        case .needsClasses: .dataError
        default: .usage
        }
    }

    public var description: String {
        switch self {
        case .unknownStrategy(let name):
            "unknown partition strategy '\(name)'; known strategies: \(Strategy.names.joined(separator: ", "))"
        case .tooFewParts(let parts):
            "total_parts (--parts) must be at least 1, got \(parts)"
        case .tooManyParts(let parts):
            "total_parts (--parts) \(parts) is more than prty-partition splits into (at most "
                + "\(PartitionConfig.maxParts))"
        case .partIndexOutOfRange(let index, let parts):
            "part_index (--index) \(index) is out of range for \(parts) part\(parts == 1 ? "" : "s"); "
                + "expected 0...\(parts - 1)"
        case .alphaMissing:
            "alpha parameter is required for non_iid partitioning; give --alpha (e.g. 0.5) or partition_config.alpha"
        case .alphaNotPositive(let alpha):
            // The seed's message, kept verbatim (Go's %f) so operators' searches still find it.
            "alpha parameter must be positive for non-IID partitioning, got \(String(format: "%f", alpha))"
        case .negativeMinSamples(let value):
            "min_samples (--min-samples) must be 0 or more, got \(value)"
        case .overlapOutOfRange(let value):
            "overlap_ratio (--overlap) must be in [0, 1], got \(NumberFormat.shortest(value))"
        case .holdoutOutOfRange(let value):
            "holdout (--holdout) must be a fraction in [0, 1), got \(NumberFormat.shortest(value))"
        case .testNeedsHoldout:
            "--take test needs a held-out set: give --holdout FRACTION (or partition_config.holdout) above 0"
        case .humanNeedsStats:
            "--human formats the --stats table; add --stats"
        case .needsClasses(let strategy):
            "strategy \(strategy.rawValue) splits by class, but the dataset's task is regression (it has no "
                + "classes); use random or sequential, or give a classification dataset"
        case .minSamplesUnreachable(let minSamples, let parts, let available):
            "min_samples \(minSamples) for each of \(parts) parts cannot be met: the training set has \(available) "
                + "samples (at most \(available / parts) per part); lower min_samples or use fewer parts"
        case .partBelowMinimum(let part, let size, let minSamples):
            "label_skew gives part \(part) only \(size) samples, below min_samples \(minSamples); "
                + "lower min_samples, use fewer parts, or use another strategy"
        case .dirichletDrawsExhausted(let alpha, let minSamples, let draws, let smallest):
            "no Dirichlet(alpha=\(NumberFormat.shortest(alpha))) draw gave every part at least min_samples "
                + "\(minSamples) samples in \(draws) draws (the smallest part of the last draw had \(smallest)); "
                + "raise alpha, lower min_samples, or turn on self_balancing"
        }
    }
}
