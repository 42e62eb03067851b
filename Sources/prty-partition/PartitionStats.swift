import Foundation
import Shared

/// `--stats`: instead of the data, every part's size and class histogram and how skewed the split is, so an
/// operator can judge a configuration before anyone trains on it. The skew of a part is the total-variation
/// distance between its label distribution and the training set's (0: the same mix; 1: disjoint classes); the
/// split's skew is the mean over the non-empty parts.
struct PartitionStats: Sendable {
    let plan: PartitionPlan
    /// Column names for the classes: `label_names`, else the class values.
    let classNames: [String]
    let classes: [Double]
    let labelNames: [String]?
    /// Class counts of the rows that were split (the training set; the test set for `--take test`).
    let reference: [Int]

    init(plan: PartitionPlan, dataset: Dataset) {
        self.plan = plan
        classNames = dataset.labelNames ?? dataset.classes.map { NumberFormat.shortest($0) }
        classes = dataset.classes
        labelNames = dataset.labelNames
        reference = plan.config.take == .test ? plan.testClassCounts : plan.trainClassCounts
    }

    /// ½ Σ |p_k − q_k| between the distributions the two count vectors describe; nil when either is empty.
    static func totalVariation(_ counts: [Int], _ reference: [Int]) -> Double? {
        let total = counts.reduce(0, +)
        let referenceTotal = reference.reduce(0, +)
        guard total > 0, referenceTotal > 0, counts.count == reference.count else { return nil }
        var sum = 0.0
        for (count, expected) in zip(counts, reference) {
            sum += abs(Double(count) / Double(total) - Double(expected) / Double(referenceTotal))
        }
        return sum / 2
    }

    /// Every output's skew (nil for an empty part or a regression dataset).
    var partSkews: [Double?] {
        guard plan.classCount > 0 else { return plan.outputSizes.map { _ in nil } }
        return plan.outputClassCounts.map { Self.totalVariation($0, reference) }
    }

    /// The mean of the non-empty parts' skews; nil for a regression dataset or when every part is empty.
    var skew: Double? {
        let skews = partSkews.compactMap { $0 }
        return skews.isEmpty ? nil : skews.reduce(0, +) / Double(skews.count)
    }

    func json() -> JSON {
        guard case .object(var object) = plan.partitionObject() else { return .null }
        object["part_index"] = nil
        if plan.classCount > 0 {
            object["classes"] = .doubles(classes)
            if let labelNames { object["label_names"] = .strings(labelNames) }
            object["reference_class_counts"] = .ints(reference)
            object["skews"] = .array(partSkews.map { $0.map(JSON.double) ?? .null })
            object["skew"] = skew.map(JSON.double) ?? .null
        }
        return .object(object)
    }

    /// The same figures as a table for people (`--human`).
    func table() -> String {
        let config = plan.config
        var heading: [String]
        if config.take == .test {
            heading = ["held-out test set", "holdout \(NumberFormat.shortest(config.holdout))"]
        } else {
            heading = [config.strategy.rawValue, "\(config.totalParts) part\(config.totalParts == 1 ? "" : "s")"]
            if config.strategy == .nonIID, let alpha = config.alpha {
                heading.append("alpha \(NumberFormat.shortest(alpha))")
                if config.selfBalancing { heading.append("self-balancing") }
                heading.append("\(plan.draws ?? 0) draw\(plan.draws == 1 ? "" : "s")")
            }
            if config.overlapRatio > 0 { heading.append("overlap \(NumberFormat.shortest(config.overlapRatio))") }
            if config.holdout > 0 { heading.append("holdout \(NumberFormat.shortest(config.holdout))") }
        }
        heading.append("seed \(config.seed)")
        heading.append("\(plan.trainCount) training, \(plan.test.count) held-out samples")

        let classes = plan.classCount > 0
        var rows = [["part", "size"] + (classes ? classNames + ["skew"] : [])]
        let skews = partSkews
        for (index, size) in plan.outputSizes.enumerated() {
            var row = [config.take == .test ? "test" : String(index), String(size)]
            if classes {
                row += plan.outputClassCounts[index].map(String.init)
                row.append(skews[index].map { String(format: "%.3f", $0) } ?? "-")
            }
            rows.append(row)
        }
        if classes {
            rows.append(["all", String(reference.reduce(0, +))] + reference.map(String.init) + [""])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = [heading.joined(separator: " · ")]
        for row in rows {
            let cells = row.enumerated().map { column, text in
                let pad = String(repeating: " ", count: widths[column] - text.count)
                return column == 0 ? text + pad : pad + text
            }
            lines.append(
                cells.joined(separator: "  ").replacingOccurrences(
                    of: " +$", with: "",
                    options: .regularExpression))
        }
        if let skew {
            let whole = config.take == .test ? "test set" : "training set"
            lines.append(
                "skew \(String(format: "%.3f", skew)) (mean total-variation distance between each part's "
                    + "label mix and the \(whole)'s)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
