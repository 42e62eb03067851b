import Shared

/// Training that diverged, said with what was seen: the data's scale and the global model's size often
/// explain it better than the learning rate does, so the hint names them and suggests what would help.
enum DivergenceHint {
    /// Features or weights this large (in magnitude) are the likely cause, before the learning rate.
    static let largeMagnitude = 1e6

    /// `error` explained when it is a divergence; any other error unchanged.
    static func explain(_ error: any Error, dataset: Dataset, config: TrainConfig) -> any Error {
        guard case .diverged(let epoch, let batch, let learningRate)? = error as? TrainError else { return error }
        var seen: [String] = []
        var suggestions: [String] = []
        var largest = 0.0
        var column = 0
        for (index, value) in dataset.features.enumerated() where abs(value) > largest {
            largest = abs(value)
            column = dataset.width > 0 ? index % dataset.width : 0
        }
        let name = dataset.featureNames.flatMap {
            column < $0.count ? " ('\(Excerpt.of($0[column], limit: 40))')" : nil
        }
        seen.append("features up to \(NumberFormat.shortest(largest)) in magnitude (column \(column)\(name ?? ""))")
        if largest > largeMagnitude {
            suggestions.append("scale the features (e.g. to [0, 1] or to z-scores) before training")
        }
        if dataset.task == .regression, let target = dataset.labels.map(abs).max() {
            seen.append("targets up to \(NumberFormat.shortest(target))")
            if target > largeMagnitude { suggestions.append("scale the regression target") }
        }
        if let global = config.globalModel {
            var norm = 0.0
            var biggest = 0.0
            for values in global.weights.values {
                for value in values {
                    norm += value * value
                    biggest = max(biggest, abs(value))
                }
            }
            seen.append(
                "global_model weights up to \(NumberFormat.shortest(biggest)) (L2 norm "
                    + "\(NumberFormat.shortest(norm.squareRoot())))")
            if biggest > largeMagnitude || !norm.isFinite {
                suggestions.append(
                    "the global model itself looks diverged: start from the initialisation (drop "
                        + "global_model) or use an earlier round's model")
            }
        }
        seen.append("learning rate \(NumberFormat.shortest(learningRate))")
        if suggestions.isEmpty {
            suggestions.append(
                "lower train_config.learning_rate (now \(NumberFormat.shortest(learningRate))) and try again")
        }
        return TrainError.divergedSeen(
            epoch: epoch, batch: batch, seen: seen,
            suggestion: "Try: " + suggestions.joined(separator: "; ") + ".")
    }
}
