/// FedProx's proximal term (Li et al., 2020; Flower's `FedProx` strategy and its `proximal_mu`): the local
/// objective gains (μ/2)·‖w − w₀‖², w₀ being the weights the round started from, so a participant with skewed
/// data cannot drift far from the global model. μ = 0 is plain FedAvg.
enum Proximal {
    /// Adds μ·(w − w₀) to `gradient` and returns (μ/2)·‖w − w₀‖², the term's share of the loss.
    static func apply(
        mu: Double, parameters: UnsafePointer<Double>, anchor: UnsafePointer<Double>,
        gradient: UnsafeMutablePointer<Double>, count: Int
    ) -> Double {
        var squares = 0.0
        for index in 0..<count {
            let drift = parameters[index] - anchor[index]
            gradient[index] += mu * drift
            squares += drift * drift
        }
        return mu / 2 * squares
    }
}
