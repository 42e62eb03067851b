import Shared

/// What an operator lets one task ask of this machine (docs/configuration.md §4): a task config over a cap is
/// refused before any work starts (exit 64), so a hostile or mistaken task cannot pin the CPU for hours or
/// exhaust memory. Read from the settings keys below (flag > environment > `.env` > default).
struct TrainCaps: Sendable, Equatable {
    /// Most trees one random forest may grow (`TRAIN_MAX_TREES`, default 1000).
    var maxTrees: Int
    /// Deepest tree a forest may grow; `max_depth` 0 (unlimited) is bounded by this too (`TRAIN_MAX_DEPTH`, 64;
    /// `Int.max` when the operator set 0, no cap).
    var maxDepth: Int
    /// Most sample visits in one fit: epochs × rows for the neural network and linear regression
    /// (`TRAIN_MAX_EPOCH_SAMPLES`, default 2,000,000,000).
    var maxEpochSamples: Int
    /// Widest layer (inputs, hidden or outputs) of a neural network (`TRAIN_MAX_LAYER_SIZE`, default 4096).
    var maxLayerSize: Int
    /// Most trainable parameters of a neural network (`TRAIN_MAX_PARAMETERS`, default 50,000,000).
    var maxParameters: Int

    init(
        maxTrees: Int = 1000, maxDepth: Int = 64, maxEpochSamples: Int = 2_000_000_000,
        maxLayerSize: Int = 4096, maxParameters: Int = 50_000_000
    ) {
        self.maxTrees = maxTrees
        self.maxDepth = maxDepth
        self.maxEpochSamples = maxEpochSamples
        self.maxLayerSize = maxLayerSize
        self.maxParameters = maxParameters
    }

    static let defaults = TrainCaps()

    /// The caps the operator set (flag > environment > `.env` > default; a bad value is exit 78 naming the
    /// key). `TRAIN_MAX_DEPTH=0` means no cap on depth, kept here as `Int.max`.
    init(settings: Settings) throws {
        let depth = try settings.int(.trainMaxDepth)
        self.init(
            maxTrees: try settings.int(.trainMaxTrees),
            maxDepth: depth == 0 ? Int.max : depth,
            maxEpochSamples: try settings.int(.trainMaxEpochSamples),
            maxLayerSize: try settings.int(.trainMaxLayerSize),
            maxParameters: try settings.int(.trainMaxParameters))
    }

    /// The caps for a command line: its settings loaded (flag > environment > `.env` > default), then read.
    init(arguments: Arguments, log: Log) throws {
        try self.init(settings: try Settings.load(arguments: arguments, log: log))
    }
}
