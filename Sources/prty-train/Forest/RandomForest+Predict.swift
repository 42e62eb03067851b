import Foundation
import Shared

extension RandomForest {
    /// Mean of the trees' leaf class probabilities, row-major `rows × classes.count`. `data.width` must be
    /// `featureCount` (callers check it). Rows are split among threads; each row sums its trees in tree order.
    func predictProbabilities(_ data: Dataset) -> [Double] {
        predictProbabilities(data, voting: voting)
    }

    /// The members' forests combined as `voting` says (see `Voting`); soft voting for a single member or when a
    /// member's label counts are unknown.
    func predictProbabilities(_ data: Dataset, voting: Voting) -> [Double] {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let k = classes.count
        guard voting == .priorCorrected, members.count > 1,
            members.allSatisfy({ $0.labelCounts.count == k && $0.rows > 0 }),
            members.reduce(0, { $0 + $1.trees }) == trees.count
        else { return probabilities(data, threads: threads) }
        var classTotals = [Double](repeating: 0, count: k)
        for member in members {
            for c in 0..<k { classTotals[c] += Double(member.labelCounts[c]) }
        }
        let total = classTotals.reduce(0, +)
        var scores = [Double](repeating: 0, count: data.count * k)
        // Σ over the members that saw class c of their weights, to average over exactly those.
        var weightSums = [Double](repeating: 0, count: k)
        var first = 0
        for member in members {
            let part = RandomForest(
                classes: classes, featureCount: featureCount, trees: Array(trees[first..<first + member.trees]),
                featureImportance: featureImportance, oobScore: nil)
            first += member.trees
            let p = part.probabilities(data, threads: threads)
            let rows = Double(member.rows)
            let weight = rows / total
            var factors = [Double](repeating: 0, count: k)
            for c in 0..<k where member.labelCounts[c] > 0 {
                // π(c) / π_j(c)
                factors[c] = (classTotals[c] / total) / (Double(member.labelCounts[c]) / rows)
                weightSums[c] += weight
            }
            // Each member's corrected posterior is normalised on its own before averaging: unnormalised, a member
            // would weigh in most where its own data are thinnest (its p_j(x) is smallest there).
            for row in 0..<data.count {
                var sum = 0.0
                for c in 0..<k { sum += factors[c] * p[row * k + c] }
                guard sum > 0 else { continue }
                for c in 0..<k { scores[row * k + c] += weight * factors[c] * p[row * k + c] / sum }
            }
        }
        for row in 0..<data.count {
            var sum = 0.0
            for c in 0..<k {
                if weightSums[c] > 0 { scores[row * k + c] /= weightSums[c] }
                sum += scores[row * k + c]
            }
            if sum > 0 {
                for c in 0..<k { scores[row * k + c] /= sum }
            } else {
                for c in 0..<k { scores[row * k + c] = 1 / Double(k) }
            }
        }
        return scores
    }

    /// The class label value with the highest mean probability for each row; a tie goes to the smallest class.
    func predict(_ data: Dataset) -> [Double] {
        let k = classes.count
        let probabilities = predictProbabilities(data)
        return (0..<data.count).map { row in classes[Self.argmax(probabilities, offset: row * k, count: k)] }
    }

    static func argmax(_ values: [Double], offset: Int, count: Int) -> Int {
        var best = 0
        for c in 1..<max(count, 1) where values[offset + c] > values[offset + best] { best = c }
        return best
    }

    /// Sums, per row, the leaf probabilities of the trees that vote for it (every tree, or with `inBag` only the
    /// trees the row was out of bag for), divided by their number (all zeros for none).
    ///
    /// Rows go in chunks that stay in the L2 cache, tree by tree, so a tree's nodes are reused across the chunk;
    /// eight rows descend a tree in lockstep, so eight node loads are in flight at once instead of one.
    func probabilities(_ data: Dataset, threads: Int, inBag: [[UInt64]]? = nil) -> [Double] {
        precondition(data.width == featureCount, "rows must have featureCount features")
        let k = classes.count
        let rowCount = data.count
        var output = [Double](repeating: 0, count: rowCount * k)
        guard rowCount > 0, !trees.isEmpty else { return output }
        let width = featureCount
        let compact = trees.map { ForestTree.Compact($0, classCount: k) }
        let chunk = max(64, min(4096, 32768 / max(width, 1)))
        let chunks = (rowCount + chunk - 1) / chunk
        let workers = min(max(threads, 1), chunks)
        output.withUnsafeMutableBufferPointer { out in
            // Each worker writes only the rows of its own chunks; every worker only reads the features.
            let target = out.baseAddress!
            data.features.withUnsafeBufferPointer { features in
                let rows = features.baseAddress!
                Parallel.workers(workers) { worker in
                    let voters = UnsafeMutablePointer<Int32>.allocate(capacity: chunk)
                    let listed = UnsafeMutablePointer<Int>.allocate(capacity: chunk)
                    let at = UnsafeMutablePointer<Int>.allocate(capacity: 8)
                    defer {
                        voters.deallocate()
                        listed.deallocate()
                        at.deallocate()
                    }
                    for index in stride(from: worker, to: chunks, by: workers) {
                        let first = index * chunk
                        let last = min(first + chunk, rowCount)
                        voters.initialize(repeating: 0, count: last - first)
                        for (t, tree) in compact.enumerated() {
                            var count = 0
                            if let inBag {
                                let bits = inBag[t]
                                for row in first..<last where bits[row >> 6] & (1 << UInt64(row & 63)) == 0 {
                                    listed[count] = row
                                    count += 1
                                }
                            } else {
                                for row in first..<last {
                                    listed[count] = row
                                    count += 1
                                }
                            }
                            tree.vote(
                                rows: listed, count: count, features: rows, width: width,
                                into: target, classCount: k, lanes: at)
                            for position in 0..<count { voters[listed[position] - first] += 1 }
                        }
                        for row in first..<last where voters[row - first] > 0 {
                            let scale = 1 / Double(voters[row - first])
                            for c in 0..<k { target[row * k + c] *= scale }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Loss and accuracy of the out-of-bag predictions; the accuracy is scikit-learn's `oob_score_`, except that
    /// rows in every tree's bag are left out rather than counted as class 0. `nil` when no row was ever out of bag.
    func outOfBagMetrics(
        _ data: Dataset, labels: UnsafeMutablePointer<Int32>, inBag: [[UInt64]],
        threads: Int
    ) -> Metrics? {
        let probabilities = probabilities(data, threads: threads, inBag: inBag)
        let k = classes.count
        var scored = [Double]()
        var targets = [Int]()
        for row in 0..<data.count {
            var any = false
            for c in 0..<k where probabilities[row * k + c] != 0 { any = true }
            guard any else { continue }
            scored.append(contentsOf: probabilities[row * k..<(row + 1) * k])
            targets.append(Int(labels[row]))
        }
        return targets.isEmpty ? nil : Metrics.classification(probabilities: scored, classCount: k, targets: targets)
    }
}
