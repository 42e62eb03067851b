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
        let (inputs, outputs, w, b) = firstLayer
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
        let (inputs, outputs, w, b) = firstLayer
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

    /// The first layer's inputs and outputs, and where its weights and bias start in `parameters`.
    private var firstLayer: (inputs: Int, outputs: Int, weights: Int, bias: Int) {
        (shape.inputs, shape.sizes[1], shape.weightOffset(0), shape.biasOffset(0))
    }
}
