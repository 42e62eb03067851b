/// The optimiser settings of `train_config` (`optimizer`, `learning_rate`, `momentum`).
struct OptimizerConfig: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable { case sgd, adam }

    var kind: Kind
    var learningRate: Double
    /// SGD only: heavy-ball momentum in [0, 1); 0 is plain SGD.
    var momentum: Double

    /// Adam's constants, PyTorch's and Kingma & Ba's defaults (not configurable: docs/formats.md §3 fixes the keys).
    static let beta1 = 0.9
    static let beta2 = 0.999
    static let epsilon = 1e-8
}

/// One optimiser's state over a flat parameter vector, updated in place from a gradient of the same layout.
/// The update rules are PyTorch's (`torch.optim.SGD` with momentum, dampening 0; `torch.optim.Adam`), so a
/// learning rate means the same thing here as there.
struct Optimizer {
    let config: OptimizerConfig
    private var first: [Double]
    private var second: [Double]
    private var steps = 0

    init(_ config: OptimizerConfig, parameterCount: Int) {
        self.config = config
        let needsFirst = config.kind == .adam || config.momentum > 0
        first = needsFirst ? [Double](repeating: 0, count: parameterCount) : []
        second = config.kind == .adam ? [Double](repeating: 0, count: parameterCount) : []
    }

    /// `parameters -= update(gradients)` over `count` values.
    mutating func step(_ parameters: UnsafeMutablePointer<Double>, _ gradients: UnsafePointer<Double>, count: Int) {
        steps += 1
        let rate = config.learningRate
        switch config.kind {
        case .sgd where config.momentum == 0:
            for index in 0..<count { parameters[index] -= rate * gradients[index] }
        case .sgd:
            let momentum = config.momentum
            let firstStep = steps == 1
            first.withUnsafeMutableBufferPointer { velocity in
                let velocity = velocity.baseAddress!
                for index in 0..<count {
                    // PyTorch starts the buffer at the first gradient rather than at momentum × 0 + gradient;
                    // both are the same number, kept explicit for readers comparing the two.
                    let v = firstStep ? gradients[index] : momentum * velocity[index] + gradients[index]
                    velocity[index] = v
                    parameters[index] -= rate * v
                }
            }
        case .adam:
            let beta1 = OptimizerConfig.beta1
            let beta2 = OptimizerConfig.beta2
            let correction1 = 1 - pow(beta1, steps)
            let correction2 = 1 - pow(beta2, steps)
            // p -= lr / c1 · m / (√v / √c2 + ε), with the divisions by constants hoisted out of the loop.
            let stepSize = rate / correction1
            let inverseRoot2 = 1 / correction2.squareRoot()
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    let m = m.baseAddress!
                    let v = v.baseAddress!
                    // Two lanes at a time (sqrtpd/divpd); the same arithmetic per element as the scalar tail.
                    var index = 0
                    while index + 2 <= count {
                        let g = Self.load(gradients + index)
                        let mi = beta1 * Self.load(m + index) + (1 - beta1) * g
                        let vi = beta2 * Self.load(v + index) + (1 - beta2) * g * g
                        Self.store(mi, m + index)
                        Self.store(vi, v + index)
                        let update = stepSize * mi / (vi.squareRoot() * inverseRoot2 + OptimizerConfig.epsilon)
                        Self.store(Self.load(parameters + index) - update, parameters + index)
                        index += 2
                    }
                    while index < count {
                        let g = gradients[index]
                        let mi = beta1 * m[index] + (1 - beta1) * g
                        let vi = beta2 * v[index] + (1 - beta2) * g * g
                        m[index] = mi
                        v[index] = vi
                        parameters[index] -= stepSize * mi / (vi.squareRoot() * inverseRoot2 + OptimizerConfig.epsilon)
                        index += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafeMutablePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD2<Double>, _ pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD2<Double>.self)
    }
}

/// `base` to the power of a whole `exponent`, by repeated squaring (Foundation's `pow` is not needed here).
private func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var factor = base
    var power = exponent
    while power > 0 {
        if power & 1 == 1 { result *= factor }
        factor *= factor
        power >>= 1
    }
    return result
}
