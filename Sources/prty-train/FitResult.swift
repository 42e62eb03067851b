import Shared

/// What each model family hands back to `Fit.fit`.
struct FitResult {
    var task: Dataset.Task
    var weights: [String: [Double]]
    var gradients: [String: [Double]]
    var validation: Metrics
    /// On the training rows; nil for a forest with a held-out slice (its out-of-bag score says more, and
    /// scoring every training row through every tree would cost a good share of the fit).
    var training: Metrics?
    var history: [Double]?
    var trainingExtra: [String: JSON]?
    var effectiveModel: JSON
    var metadata: [String: JSON]
    var privacy: PrivacyReport?
    /// Where `validation` was measured when not on the held-out slice or the training rows ("out_of_bag").
    var measuredOn: String? = nil
}
