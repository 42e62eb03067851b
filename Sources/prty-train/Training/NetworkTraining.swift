/// How one fit trains a network: `train_config` after validation, plus the round's shuffle seed.
struct NetworkTraining: Sendable, Equatable {
    var epochs: Int
    var batchSize: Int
    var optimizer: OptimizerConfig
    var shuffleSeed: UInt64
    /// FedProx's μ (`train_config.proximal_mu`): the weight of (μ/2)·‖w − w₀‖² toward the weights training
    /// started from; 0 (the default) leaves the loss alone.
    var proximalMu = 0.0
}
