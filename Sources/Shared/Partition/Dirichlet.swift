import Foundation

/// `non_iid` (alias `dirichlet`): Flower's DirichletPartitioner (flwr_datasets, dirichlet_partitioner.py;
/// Yurochkin et al. 2019), computed once for the whole training set so every participant gets the same parts.
enum Dirichlet {
    /// How many times the whole assignment is drawn before a min_samples that is not met becomes an error.
    static let maxDraws = 10

    /// Proportions drawn from the symmetric Dirichlet(alpha, …, alpha) over `count` parts, as logarithms of
    /// unnormalised Gamma(alpha) weights (see `proportions`).
    static func logWeights(alpha: Double, count: Int, using random: inout SeededRandom) -> [Double] {
        (0..<count).map { _ in Gamma.logSample(shape: alpha, using: &random) }
    }

    /// Normalised proportions from log weights, over the parts `allowed` (the others get 0). Normalising in log
    /// space (subtract the largest) keeps small alphas from underflowing every weight to 0.
    static func proportions(logWeights: [Double], allowed: [Bool]) -> [Double] {
        let largest = zip(logWeights, allowed).filter(\.1).map(\.0).max() ?? 0
        let weights = zip(logWeights, allowed).map { weight, ok in ok ? exp(weight - largest) : 0 }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// One draw from Dirichlet(alpha, …, alpha).
    static func sample(alpha: Double, count: Int, using random: inout SeededRandom) -> [Double] {
        proportions(
            logWeights: logWeights(alpha: alpha, count: count, using: &random),
            allowed: Array(repeating: true, count: count))
    }

    /// Flower's algorithm, as counts: for each class in `classes` order, draw p ~ Dir(alpha); with `selfBalancing`,
    /// set p_j = 0 for every part already holding more than the average N/P rows and renormalise; the class's n_c
    /// rows are cut at ⌊cumsum(p)·n_c⌋ and piece j goes to part j (which rows: chosen at random when dealt). If the
    /// smallest part is below `minSamples`, draw the whole assignment again, `maxDraws` draws in all, then fail.
    /// (Flower allows 11 draws and defaults min_partition_size to 10; here min_samples defaults to 0, as
    /// docs/formats.md §3 documents.)
    static func counts(
        _ classSizes: [Int], parts: Int, alpha: Double, minSamples: Int, selfBalancing: Bool,
        using random: inout SeededRandom
    ) throws(PartitionError) -> (counts: [[Int]], draws: Int) {
        let average = Double(classSizes.reduce(0, +)) / Double(parts)
        var smallest = 0
        for draw in 1...maxDraws {
            var counts = [[Int]]()
            var sizes = [Int](repeating: 0, count: parts)
            for size in classSizes {
                let logs = logWeights(alpha: alpha, count: parts, using: &random)
                var allowed = Array(repeating: true, count: parts)
                if selfBalancing {
                    allowed = sizes.map { Double($0) <= average }
                    // Cannot happen (parts above the average cannot hold every row), but never divide by zero.
                    if !allowed.contains(true) { allowed = Array(repeating: true, count: parts) }
                }
                let p = proportions(logWeights: logs, allowed: allowed)
                var pieces = [Int](repeating: 0, count: parts)
                var start = 0
                var cumulative = 0.0
                // numpy: (cumsum(p) * n).astype(int), the last cut being n itself. Here the rest goes to the last part
                // with a share above 0: in Flower a part with p_j = 0 in last place can still get a row or two
                // when the cumulative sum of the others rounds to 0.99999…, breaking the self-balancing rule.
                let last = p.lastIndex { $0 > 0 } ?? parts - 1
                for part in 0..<parts {
                    cumulative += p[part]
                    let end = part >= last ? size : min(max(Int(cumulative * Double(size)), start), size)
                    pieces[part] = end - start
                    sizes[part] += end - start
                    start = end
                }
                counts.append(pieces)
            }
            smallest = sizes.min() ?? 0
            if smallest >= minSamples { return (counts, draw) }
        }
        throw .dirichletDrawsExhausted(alpha: alpha, minSamples: minSamples, draws: maxDraws, smallest: smallest)
    }
}
