import Shared

/// The epoch loop every gradient-trained model shares (`NeuralNetwork.train`, `LinearRegression.train`): each
/// epoch visits the rows in a fresh order drawn from `settings.shuffleSeed`, hands them to the model in batches
/// of `settings.batchSize` (the last may be short), polls `control` before every batch, and stops at the first
/// non-finite batch loss with `TrainError.diverged` naming the epoch and batch.
enum MiniBatchLoop {
    /// What a model's batch loss is: the batch's mean (weighted by its rows in the epoch's sum) or its sum.
    enum Loss {
        case mean
        case sum
    }

    /// Runs the epochs; `step` trains on one batch (row indices into the training rows) and returns its loss.
    /// Returns each epoch's loss, the epoch's summed loss over all rows divided by `rows`, then mapped through
    /// `unit` (e.g. back to the labels' units). `lossName` names it in the debug line.
    static func run(
        rows: Int, settings: NetworkTraining, control: TrainingControl, log: Log?, loss kind: Loss,
        lossName: String, unit: (Double) -> Double = { $0 }, step: (UnsafeBufferPointer<Int>) -> Double
    ) throws -> [Double] {
        let batchSize = min(settings.batchSize, rows)
        var random = SeededRandom(seed: settings.shuffleSeed)
        var order = Array(0..<rows)
        var history: [Double] = []
        for epoch in 1...settings.epochs {
            random.shuffle(&order)
            var epochLoss = 0.0
            var start = 0
            var batch = 0
            while start < rows {
                try control.check(epoch: epoch, epochs: settings.epochs)
                batch += 1
                let count = min(batchSize, rows - start)
                let loss = order.withUnsafeBufferPointer { order in
                    step(UnsafeBufferPointer(rebasing: order[start..<start + count]))
                }
                guard loss.isFinite else {
                    throw TrainError.diverged(epoch: epoch, batch: batch, learningRate: settings.optimizer.learningRate)
                }
                switch kind {
                case .mean: epochLoss += loss * Double(count)
                case .sum: epochLoss += loss
                }
                start += count
            }
            let mean = unit(epochLoss / Double(rows))
            history.append(mean)
            log?.debug(
                "epoch", "epoch \(epoch)/\(settings.epochs): \(lossName) \(mean)",
                ["epoch": .int(epoch), "loss": .double(mean)])
        }
        return history
    }
}
