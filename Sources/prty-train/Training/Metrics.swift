import Foundation
import Shared

/// A model's loss and "accuracy" on some rows. Classification: mean cross-entropy (log-loss) and the share of
/// rows whose most probable class is the label. Regression: mean squared error and R².
struct Metrics: Sendable, Equatable {
    var loss: Double
    var accuracy: Double

    /// Probabilities are clipped here before the logarithm, as scikit-learn's `log_loss` does, so one
    /// confident mistake costs a large but finite loss.
    static let probabilityFloor = 1e-15

    /// From row-major `probabilities` (rows × classes) and each row's class index. Ties in the arg-max go to
    /// the smallest class index.
    static func classification(probabilities: [Double], classCount: Int, targets: [Int]) -> Metrics {
        let rows = targets.count
        guard rows > 0, classCount > 0 else { return Metrics(loss: 0, accuracy: 0) }
        var loss = 0.0
        var correct = 0
        probabilities.withUnsafeBufferPointer { all in
            for row in 0..<rows {
                let p = all.baseAddress! + row * classCount
                var best = 0
                for k in 1..<max(classCount, 1) where p[k] > p[best] { best = k }
                if best == targets[row] { correct += 1 }
                loss -= log(max(p[targets[row]], probabilityFloor))
            }
        }
        return Metrics(loss: loss / Double(rows), accuracy: Double(correct) / Double(rows))
    }

    /// Mean squared error and R² = 1 − SS_res / SS_tot (1 for a perfect fit of constant labels, 0 otherwise,
    /// as scikit-learn's `r2_score` does). R² can be negative: a model worse than the mean.
    static func regression(predictions: [Double], targets: [Double]) -> Metrics {
        let rows = targets.count
        guard rows > 0 else { return Metrics(loss: 0, accuracy: 0) }
        var mean = 0.0
        for value in targets { mean += value }
        mean /= Double(rows)
        var residual = 0.0
        var total = 0.0
        for row in 0..<rows {
            let error = predictions[row] - targets[row]
            residual += error * error
            let spread = targets[row] - mean
            total += spread * spread
        }
        let r2 = total > 0 ? 1 - residual / total : (residual == 0 ? 1 : 0)
        return Metrics(loss: residual / Double(rows), accuracy: r2)
    }

    var json: JSON { ["loss": .double(loss), "accuracy": .double(accuracy)] }
}

/// Maps label values to indices into a sorted class list (the Dataset's `classes`), so the model's outputs
/// are sized by the whole dataset, never by the labels one participant happens to hold.
enum ClassIndex {
    static func indices(of labels: [Double], classes: [Double], what: String) throws(TrainError) -> [Int] {
        var lookup: [Double: Int] = [:]
        for (index, value) in classes.enumerated() { lookup[value] = index }
        var result = [Int]()
        result.reserveCapacity(labels.count)
        for (row, label) in labels.enumerated() {
            guard let index = lookup[label] else {
                throw TrainError.data(
                    "label \(NumberFormat.shortest(label)) of row \(row) is not among \(what) "
                        + "classes [\(classes.map(NumberFormat.shortest).joined(separator: ", "))]")
            }
            result.append(index)
        }
        return result
    }
}
