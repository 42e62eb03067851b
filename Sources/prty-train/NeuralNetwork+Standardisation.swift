import Shared

/// Networks train on standardised features, z_f = (x_f − μ_f) / s_f with the training rows' mean and spread
/// (`Standardisation`), and fold the scaling back into the first layer, as linear regression does: updates,
/// aggregates and FedAvg stay in the original feature units, while features spanning orders of magnitude no
/// longer stall training. The first layer computes h_o = b_o + Σ_f W_fo·x_f, so in standardised space
/// W'_fo = W_fo·s_f and b'_o = b_o + Σ_f W_fo·μ_f: the same function of the same rows, exactly (to rounding).
extension NeuralNetwork {
    /// This network with its first layer re-expressed for standardised inputs.
    func standardised(_ scaling: Standardisation) -> NeuralNetwork {
        var copy = self
        let inputs = shape.inputs
        let outputs = shape.sizes[1]
        let w = shape.weightOffset(0)
        let b = shape.biasOffset(0)
        for o in 0..<outputs {
            var shift = 0.0
            for f in 0..<inputs { shift += parameters[w + f * outputs + o] * scaling.means[f] }
            copy.parameters[b + o] += shift
        }
        for f in 0..<inputs {
            for o in 0..<outputs { copy.parameters[w + f * outputs + o] *= scaling.scales[f] }
        }
        return copy
    }

    /// The inverse of `standardised`: a network trained on standardised inputs, for original units.
    func unstandardised(_ scaling: Standardisation) -> NeuralNetwork {
        var copy = self
        let inputs = shape.inputs
        let outputs = shape.sizes[1]
        let w = shape.weightOffset(0)
        let b = shape.biasOffset(0)
        for f in 0..<inputs {
            for o in 0..<outputs { copy.parameters[w + f * outputs + o] /= scaling.scales[f] }
        }
        for o in 0..<outputs {
            var shift = 0.0
            for f in 0..<inputs { shift += copy.parameters[w + f * outputs + o] * scaling.means[f] }
            copy.parameters[b + o] -= shift
        }
        return copy
    }
}

extension Standardisation {
    /// A network's scaling: the training rows' mean and spread, with the spread at least a tenth of the
    /// feature's range. A feature that is nearly constant on one participant (a pixel that is almost always
    /// blank in its part) would otherwise get a tiny spread, and folding it back would give that participant
    /// first-layer weights orders of magnitude larger than everyone else's, which then dominate FedAvg.
    static func network(_ features: [Double], rows: Int, width: Int) -> Standardisation {
        var scaling = Standardisation(features, rows: rows, width: width)
        guard rows > 0 else { return scaling }
        for f in 0..<width {
            var low = features[f]
            var high = features[f]
            for row in 1..<rows {
                let x = features[row * width + f]
                low = min(low, x)
                high = max(high, x)
            }
            let floor = (high - low) / 10
            if floor.isFinite, floor > scaling.scales[f] { scaling.scales[f] = floor }
        }
        return scaling
    }

    /// The standardised copy of `rows` rows of `features` (row-major, `means.count` wide).
    func apply(_ features: [Double], rows: Int) -> [Double] {
        let width = means.count
        var z = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows {
            for f in 0..<width { z[row * width + f] = (features[row * width + f] - means[f]) / scales[f] }
        }
        return z
    }

    /// What `metadata.input_scaling` records: how the features were scaled and where the scaling went, not the
    /// local means and spreads themselves (they describe the participant's data).
    static let metadata: JSON = [
        "method": "standardise", "statistics": "local training rows (mean, population standard deviation)",
        "folded_into": "layer_0_weights, layer_0_bias",
    ]
}
