import Foundation
import Testing

@testable import prty_train

struct MetricsTests {
    @Test func classificationAccuracyAndLogLoss() {
        let probabilities = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.5, 0.5, 0]
        let metrics = Metrics.classification(probabilities: probabilities, classCount: 3, targets: [0, 1, 1])
        // Row 3 ties 0.5/0.5: the smaller class (0) wins, so it is wrong.
        #expect(metrics.accuracy == 1.0 / 3)
        #expect(abs(metrics.loss - (-(log(0.7) + log(0.3) + log(0.5)) / 3)) < 1e-12)
    }

    @Test func zeroProbabilityCostsAFiniteLoss() {
        let metrics = Metrics.classification(probabilities: [1, 0], classCount: 2, targets: [1])
        #expect(metrics.loss.isFinite && abs(metrics.loss - -log(1e-15)) < 1e-9)
    }

    @Test func regressionMSEAndR2() {
        let metrics = Metrics.regression(predictions: [1, 2, 3, 5], targets: [1, 2, 3, 4])
        #expect(metrics.loss == 0.25)
        // SS_res = 1, SS_tot = 5 around the mean 2.5.
        #expect(abs(metrics.accuracy - 0.8) < 1e-12)
        #expect(Metrics.regression(predictions: [2, 2], targets: [2, 2]).accuracy == 1)
        #expect(Metrics.regression(predictions: [1, 3], targets: [2, 2]).accuracy == 0)
        #expect(Metrics.regression(predictions: [10, -10], targets: [1, 2]).accuracy < 0)
    }

    @Test func classIndicesComeFromTheWholeDatasetsClasses() throws {
        #expect(try ClassIndex.indices(of: [5, 1, 3], classes: [1, 3, 5], what: "the dataset's") == [2, 0, 1])
        #expect(throws: TrainError.data("label 4 of row 1 is not among the model's classes [1, 3, 5]")) {
            try ClassIndex.indices(of: [5, 4], classes: [1, 3, 5], what: "the model's")
        }
    }
}
