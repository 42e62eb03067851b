import Foundation
import Testing

@testable import prty_train

struct OptimizerTests {
    func run(_ config: OptimizerConfig, start: [Double], gradients: [[Double]]) -> [Double] {
        var optimizer = Optimizer(config, parameterCount: start.count)
        var parameters = start
        for gradient in gradients {
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in optimizer.step(p.baseAddress!, g.baseAddress!, count: p.count) }
            }
        }
        return parameters
    }

    @Test func plainSGD() {
        let result = run(
            OptimizerConfig(kind: .sgd, learningRate: 0.1, momentum: 0), start: [1, -1],
            gradients: [[2, 4], [2, 4]])
        #expect(abs(result[0] - 0.6) < 1e-15 && abs(result[1] + 1.8) < 1e-15)
    }

    @Test func sgdMomentumMatchesPyTorch() {
        // torch.optim.SGD(momentum=0.9): v1 = g1, v2 = 0.9·v1 + g2; p -= lr·v.
        let result = run(
            OptimizerConfig(kind: .sgd, learningRate: 0.1, momentum: 0.9), start: [0],
            gradients: [[1], [1]])
        #expect(abs(result[0] - (-(0.1 * 1) - 0.1 * 1.9)) < 1e-15)
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        // With bias correction the first Adam step is lr · g / (|g| + ε): the sign of g times lr.
        let result = run(
            OptimizerConfig(kind: .adam, learningRate: 0.01, momentum: 0), start: [1, 1, 1],
            gradients: [[3, -0.5, 100]])
        #expect(abs(result[0] - 0.99) < 1e-9 && abs(result[1] - 1.01) < 1e-9 && abs(result[2] - 0.99) < 1e-9)
    }

    @Test func adamMatchesTheFormulaOverSteps() {
        let gradients: [[Double]] = [[0.5], [-0.2], [0.3]]
        var m = 0.0
        var v = 0.0
        var p = 2.0
        for (t, g) in gradients.enumerated() {
            m = 0.9 * m + 0.1 * g[0]
            v = 0.999 * v + 0.001 * g[0] * g[0]
            let mHat = m / (1 - pow(0.9, Double(t + 1)))
            let vHat = v / (1 - pow(0.999, Double(t + 1)))
            p -= 0.05 * mHat / (vHat.squareRoot() + 1e-8)
        }
        let adam = OptimizerConfig(kind: .adam, learningRate: 0.05, momentum: 0)
        let result = run(adam, start: [2], gradients: gradients)
        #expect(abs(result[0] - p) < 1e-12)
    }
}
