import Shared

/// Everything prty-train reports, each mapped to an exit status of docs/exit-codes.md: a task config that cannot run is
/// 64, data that does not fit the task is 65, training that fails on its own (divergence, the deadline) is 1.
/// The only error type prty-train throws besides Shared's (flags, settings, input).
enum TrainError: ExitStatusError, Equatable {
    /// The task config (or a flag) asks for something invalid: exit 64.
    case config(String)
    /// The dataset or a model document does not fit: exit 65.
    case data(String)
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, batch: Int, learningRate: Double)
    /// The loss became NaN or infinite, explained with what was seen (`DivergenceHint`): the data's scale and
    /// the global model's size, and what would help.
    case divergedSeen(epoch: Int, batch: Int, seen: [String], suggestion: String)
    /// `--deadline` passed before training finished.
    case deadline(limit: String, epoch: Int, epochs: Int)
    /// `--deadline` passed before every tree of a forest was grown.
    case forestDeadline(limit: String, grown: Int, trees: Int)

    var description: String {
        switch self {
        case .config(let message), .data(let message): message
        case .diverged(let epoch, let batch, let learningRate):
            "training diverged at epoch \(epoch), batch \(batch): the loss is no longer a finite number; "
                + "lower train_config.learning_rate (now \(NumberFormat.shortest(learningRate))) and try again"
        case .divergedSeen(let epoch, let batch, let seen, let suggestion):
            "training diverged at epoch \(epoch), batch \(batch): the loss is no longer a finite number. Seen: "
                + seen.joined(separator: "; ") + ". " + suggestion
        case .deadline(let limit, let epoch, let epochs):
            "training did not finish within the deadline of \(limit) (stopped in epoch \(epoch) of \(epochs)); "
                + "raise --deadline or ask for fewer epochs"
        case .forestDeadline(let limit, let grown, let trees):
            "training did not finish within the deadline of \(limit) (\(grown) of \(trees) trees grown); "
                + "raise --deadline or ask for fewer trees (model_config.num_trees)"
        }
    }

    var exitStatus: ExitStatus {
        switch self {
        case .config: .usage
        case .data: .dataError
        case .diverged, .divergedSeen, .deadline, .forestDeadline: .failure
        }
    }
}
