import Shared

/// A random-forest classifier with scikit-learn's `RandomForestClassifier` semantics: bootstrap samples, a random
/// subset of features per node, best splits by Gini or entropy, soft voting (the mean of the trees' leaf class
/// probabilities), out-of-bag score, and mean-decrease-in-impurity importance normalised per tree and for the
/// forest. Trees grow in parallel on every core; tree i always draws from `SeededRandom(random_state)
/// .derived(i)` and lands in slot i, so the forest is identical whatever the scheduling.
struct RandomForest: Sendable, Equatable {
    /// The Dataset's class label values, ascending: probability column k is class `classes[k]`.
    var classes: [Double]
    var featureCount: Int
    var trees: [ForestTree]
    /// Mean decrease in impurity per feature (length F), summing to 1 — all zeros only for a forest whose trees
    /// are all single leaves.
    var featureImportance: [Double]
    /// Accuracy of the out-of-bag predictions over the rows that were out of bag for at least one tree; `nil`
    /// when not asked for or when no row ever was.
    var oobScore: Double?
    /// The participants whose forests make this one, in tree order (one for a forest fresh from `fit`, several for
    /// a union): how many trees each gave and the label counts it trained on. Empty for a document written before
    /// forests recorded them, which then can only be combined by plain soft voting.
    var members: [Member] = []
    /// How `predictProbabilities` combines the members' forests (see `Voting`).
    var voting = Voting.priorCorrected

    /// One participant's share of a forest: `trees` consecutive trees grown on rows with `labelCounts[k]` rows of
    /// `classes[k]`.
    struct Member: Sendable, Equatable {
        var trees: Int
        var labelCounts: [Int]

        var rows: Int { labelCounts.reduce(0, +) }
    }

    /// How a union of participants' forests turns into one posterior.
    enum Voting: String, Sendable, CaseIterable {
        /// Each participant's posterior p_j(c|x) re-weighted by its label prior, p_j(c|x)·π(c)/π_j(c) with π the
        /// label shares of all members together and π_j the participant's own, then averaged weighted by the
        /// members' row counts and normalised. Under label skew a forest that saw few rows of a class otherwise
        /// votes against it everywhere. A member that never saw class c has no opinion on it and abstains from
        /// c's average. One member (or no label counts) is plain soft voting.
        case priorCorrected = "prior_corrected"
        /// The mean of every tree's leaf probabilities (scikit-learn's `predict_proba`).
        case soft
    }
}
