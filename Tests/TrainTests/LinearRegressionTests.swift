import Shared
import Testing

@testable import prty_train

struct LinearRegressionTests {
    static let sgd = NetworkTraining(
        epochs: 300, batchSize: 32, optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.05, momentum: 0),
        shuffleSeed: 3)

    @Test func recoversKnownCoefficientsInOriginalUnits() throws {
        let coefficients = [3.0, -2.0, 0.5, 0.01]
        let data = TrainTestData.linear(rows: 1000, coefficients: coefficients, intercept: 7)
        var model = LinearRegression.initial(inputs: 4)
        let history = try model.train(
            features: data.features, rows: data.count, targets: data.labels,
            settings: Self.sgd, control: .unlimited)
        for (learned, truth) in zip(model.weights, coefficients) {
            #expect(abs(learned - truth) < 1e-6 * max(1, abs(truth)) + 1e-6, "\(model.weights)")
        }
        #expect(abs(model.bias - 7) < 1e-4, "bias \(model.bias)")
        #expect(history.last! < 1e-8)
        #expect(model.evaluate(data.features, rows: data.count, targets: data.labels).accuracy > 0.999999)
    }

    @Test func noisyDataStillGivesCloseCoefficientsAndR2() throws {
        let data = TrainTestData.linear(rows: 2000, coefficients: [1.5, 4, -1], intercept: -3, noise: 0.1)
        var model = LinearRegression.initial(inputs: 3)
        var settings = Self.sgd
        settings.epochs = 50
        settings.optimizer = OptimizerConfig(kind: .sgd, learningRate: 0.01, momentum: 0.9)
        _ = try model.train(
            features: data.features, rows: data.count, targets: data.labels, settings: settings,
            control: .unlimited)
        #expect(abs(model.weights[0] - 1.5) < 0.01)
        #expect(abs(model.weights[2] + 1) < 0.02)
    }

    @Test func warmStartIsTheStartingPoint() throws {
        let data = TrainTestData.linear(rows: 200, coefficients: [2, 1], intercept: 0)
        let exact = LinearRegression(weights: [2, 1], bias: 0)
        var model = exact
        var settings = Self.sgd
        settings.epochs = 3
        _ = try model.train(
            features: data.features, rows: data.count, targets: data.labels, settings: settings,
            control: .unlimited)
        // Starting at the optimum, gradients are ~0 and the model stays there (folding in and out is exact
        // up to rounding).
        #expect(abs(model.weights[0] - 2) < 1e-9 && abs(model.weights[1] - 1) < 1e-9 && abs(model.bias) < 1e-6)
    }

    @Test func weightMapShapeIsChecked() {
        #expect(throws: TrainError.data("global_model has 3 weights but the dataset has 2 features")) {
            try LinearRegression(weights: ["weights": [1, 2, 3], "bias": [0]], inputs: 2, source: "global_model")
        }
        #expect(throws: TrainError.self) {
            try LinearRegression(weights: ["weights": [1, 2]], inputs: 2, source: "global_model")
        }
        #expect(LinearRegression(weights: [1, 2], bias: 3).weightMap() == ["weights": [1, 2], "bias": [3]])
    }

    @Test func constantFeaturesDoNotBreakStandardisation() throws {
        var data = TrainTestData.linear(rows: 100, coefficients: [2, 0], intercept: 1)
        for row in 0..<100 { data.features[row * 2 + 1] = 5 }
        var model = LinearRegression.initial(inputs: 2)
        _ = try model.train(
            features: data.features, rows: 100, targets: data.labels, settings: Self.sgd,
            control: .unlimited)
        #expect(model.weights.allSatisfy(\.isFinite) && model.bias.isFinite)
        #expect(abs(model.weights[0] - 2) < 1e-6)
    }
}
