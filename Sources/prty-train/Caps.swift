import Shared

/// What an operator lets one task ask of this machine (DESIGN.md, "Bounds"): a task config over a cap is
/// refused before any work starts (exit 64), so a hostile or mistaken task cannot pin the CPU for hours or
/// exhaust memory. Read from the settings keys below (flag > environment > `.env` > default).
struct TrainCaps: Sendable, Equatable {
    /// Most trees one random forest may grow (`TRAIN_MAX_TREES`, default 1000).
    var maxTrees: Int
    /// Deepest tree a forest may grow; `max_depth` 0 (unlimited) is bounded by this too (`TRAIN_MAX_DEPTH`, 64).
    var maxDepth: Int
    /// Most sample visits in one fit: epochs × rows for the neural network and linear regression
    /// (`TRAIN_MAX_EPOCH_SAMPLES`, default 2,000,000,000).
    var maxEpochSamples: Int
    /// Widest hidden layer of a neural network (`TRAIN_MAX_LAYER_SIZE`, default 4096).
    var maxLayerSize: Int
    /// Most trainable parameters of a neural network (`TRAIN_MAX_PARAMETERS`, default 50,000,000).
    var maxParameters: Int

    /// The settings keys, each with its default, in the order `--help` lists them.
    static let keys: [(key: String, defaultValue: Int, meaning: String)] = [
        ("TRAIN_MAX_TREES", 1000, "most trees in one random forest"),
        ("TRAIN_MAX_DEPTH", 64, "deepest random-forest tree (max_depth 0 means this)"),
        ("TRAIN_MAX_EPOCH_SAMPLES", 2_000_000_000, "most epochs × rows in one fit"),
        ("TRAIN_MAX_LAYER_SIZE", 4096, "widest neural-network layer"),
        ("TRAIN_MAX_PARAMETERS", 50_000_000, "most neural-network parameters"),
    ]

    init(maxTrees: Int = 1000, maxDepth: Int = 64, maxEpochSamples: Int = 2_000_000_000,
         maxLayerSize: Int = 4096, maxParameters: Int = 50_000_000) {
        self.maxTrees = maxTrees
        self.maxDepth = maxDepth
        self.maxEpochSamples = maxEpochSamples
        self.maxLayerSize = maxLayerSize
        self.maxParameters = maxParameters
    }

    static let defaults = TrainCaps()

    /// Caps from settings values (key → text); a missing key keeps its default, a bad value is exit 78
    /// naming key and value.
    init(settings: [String: String]) throws(ConfigError) {
        func read(_ key: String, _ fallback: Int) throws(ConfigError) -> Int {
            guard let text = settings[key] else { return fallback }
            let trimmed = text.trimmingSpaces
            guard let value = Int(trimmed.replacingUnderscores), value >= 1 else {
                throw ConfigError(key: key, value: text, expected: "a positive integer")
            }
            return value
        }
        self.init(
            maxTrees: try read("TRAIN_MAX_TREES", 1000),
            maxDepth: try read("TRAIN_MAX_DEPTH", 64),
            maxEpochSamples: try read("TRAIN_MAX_EPOCH_SAMPLES", 2_000_000_000),
            maxLayerSize: try read("TRAIN_MAX_LAYER_SIZE", 4096),
            maxParameters: try read("TRAIN_MAX_PARAMETERS", 50_000_000))
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
