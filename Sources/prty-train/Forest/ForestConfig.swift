import Foundation
import Shared

/// A random forest's `model_config`, checked once against the data's shape and the operator's caps: the seed's
/// keys with the seed's defaults (docs/formats.md §3), scikit-learn's meaning for each. Invalid values never reach
/// `fit`.
struct ForestConfig: Sendable, Equatable {
    static let keys = [
        "num_trees", "max_depth", "min_samples_split", "min_samples_leaf", "max_features", "subsample",
        "bootstrap_samples", "oob_score", "random_state", "criterion", "num_classes",
    ]

    /// How a node's impurity is measured: Gini (1 − Σp²) or Shannon entropy in bits (−Σ p log₂ p).
    enum Criterion: String, Sendable, CaseIterable {
        case gini, entropy
    }

    var numTrees = 100
    /// As asked: 0 means "no limit of its own", which `depthLimit` turns into the operator's cap.
    var maxDepth = 10
    /// The depth no node may exceed (the root is depth 0): `maxDepth`, or `TrainCaps.maxDepth` for 0.
    var depthLimit = 10
    var minSamplesSplit = 2
    var minSamplesLeaf = 1
    /// As asked: 0 means ⌊√F⌋.
    var maxFeaturesSetting = 0
    /// Features drawn at each node, 1...F.
    var maxFeatures = 1
    /// Each tree draws ⌊N·subsample⌋ rows (at least one): with replacement when `bootstrap`, without otherwise.
    var subsample = 1.0
    var bootstrap = true
    var oobScore = true
    /// Whether `oob_score` was asked for explicitly (then a forest without out-of-bag rows is a config error).
    var oobScoreExplicit = false
    var randomState: UInt64 = 0
    var criterion = Criterion.gini
    /// The Dataset's classes: every participant sizes its trees' leaves identically.
    var classes: [Double] = []
    var featureCount = 1

    /// The defaults for `featureCount` features and `classes`, seeded by `seed` (for tests and callers that
    /// build a config in code; `init(_:classes:featureCount:seed:caps:)` is the checked path).
    init(classes: [Double], featureCount: Int, seed: UInt64) {
        self.classes = classes
        self.featureCount = featureCount
        self.randomState = seed
        self.maxFeatures = Self.sqrtFeatures(featureCount)
    }

    /// Reads `model_config`: unknown keys were already refused by `ConfigSection` (with the list of known keys);
    /// every number is bounds-checked and the caps applied. Errors are exit 64 and name the key and the cap.
    init(_ section: ConfigSection, classes: [Double], featureCount: Int, seed: UInt64, caps: TrainCaps) throws {
        guard !classes.isEmpty else {
            throw TrainError.data(
                "random_forest is a classifier but the dataset has no classes (its task is "
                    + "regression); use linear_regression or neural_network for regression labels")
        }
        guard featureCount >= 1 else { throw TrainError.data("random_forest needs at least one feature") }
        self.init(classes: classes, featureCount: featureCount, seed: seed)
        let name = section.name
        if let trees = try section.int("num_trees", in: 1...Int.max) {
            guard trees <= caps.maxTrees else {
                throw UsageError(
                    "\(name).num_trees is \(trees) but this node allows at most "
                        + "\(caps.maxTrees) trees (TRAIN_MAX_TREES); ask for fewer trees or raise TRAIN_MAX_TREES")
            }
            numTrees = trees
        } else if numTrees > caps.maxTrees {
            numTrees = caps.maxTrees  // the default (100) never exceeds an operator's cap
        }
        if let depth = try section.int("max_depth", in: 0...Int.max) {
            guard depth <= caps.maxDepth else {
                throw UsageError(
                    "\(name).max_depth is \(depth) but this node allows trees at most "
                        + "\(caps.maxDepth) deep (TRAIN_MAX_DEPTH); ask for a smaller max_depth or raise "
                        + "TRAIN_MAX_DEPTH")
            }
            maxDepth = depth
        } else {
            maxDepth = min(maxDepth, caps.maxDepth)
        }
        depthLimit = maxDepth == 0 ? caps.maxDepth : maxDepth
        minSamplesSplit = try section.int("min_samples_split", in: 2...Int(Int32.max)) ?? minSamplesSplit
        minSamplesLeaf = try section.int("min_samples_leaf", in: 1...Int(Int32.max)) ?? minSamplesLeaf
        if let features = try section.int("max_features", in: 0...featureCount) {
            maxFeaturesSetting = features
            maxFeatures = features == 0 ? Self.sqrtFeatures(featureCount) : features
        }
        if let fraction = try section.double("subsample", in: 0...1) {
            guard fraction > 0 else {
                throw UsageError("\(name).subsample must be in (0, 1], got 0")
            }
            subsample = fraction
        }
        bootstrap = try section.bool("bootstrap_samples") ?? bootstrap
        if let oob = try section.bool("oob_score") {
            oobScore = oob
            oobScoreExplicit = true
        }
        if oobScore, oobScoreExplicit, !bootstrap, subsample == 1 {
            throw UsageError(
                "\(name).oob_score needs out-of-bag rows: set bootstrap_samples true or "
                    + "subsample below 1 (without either, every tree sees every row)")
        }
        if let value = section.values["random_state"], !value.isNull {
            guard let state = value.numberValue?.uint64 else {
                throw UsageError(
                    "\(name).random_state must be an integer in 0...18446744073709551615, "
                        + "got \(value.serialized())")
            }
            randomState = state
        }
        if let text = try section.string("criterion", choices: Criterion.allCases.map(\.rawValue)) {
            criterion = Criterion(rawValue: text) ?? .gini
        }
        if let count = try section.int("num_classes", in: 0...Int.max), count != 0, count != classes.count {
            throw UsageError(
                "\(name).num_classes is \(count) but the dataset has \(classes.count) classes "
                    + "(its classes field); give 0 or \(classes.count)")
        }
    }

    /// ⌊√F⌋, at least 1 (scikit-learn's `max_features="sqrt"`).
    static func sqrtFeatures(_ count: Int) -> Int {
        var root = Int(Double(count).squareRoot())
        while root * root > count { root -= 1 }
        while (root + 1) * (root + 1) <= count { root += 1 }
        return max(1, root)
    }

    /// The config as it ran: every key with its resolved value (`max_features` as the count drawn, `num_classes`
    /// as the dataset's), so the same document can be fed back and reproduces the forest.
    var effective: JSON {
        .object([
            "num_trees": .int(numTrees),
            "max_depth": .int(maxDepth),
            "min_samples_split": .int(minSamplesSplit),
            "min_samples_leaf": .int(minSamplesLeaf),
            "max_features": .int(maxFeatures),
            "subsample": .double(subsample),
            "bootstrap_samples": .bool(bootstrap),
            "oob_score": .bool(oobScore),
            "random_state": .uint64(randomState),
            "criterion": .string(criterion.rawValue),
            "num_classes": .int(classes.count),
        ])
    }

    /// Rows each tree draws: ⌊N·subsample⌋, at least 1.
    func drawCount(rows: Int) -> Int { max(1, Int((Double(rows) * subsample).rounded(.down))) }
}
