import Shared
import Testing

@testable import prty_train

struct PrivacyTests {
    @Test func clippingBoundsTheDeltaNorm() {
        var delta: [String: [Double]] = ["a": [3, 0], "b": [4]]  // norm 5
        var generator = SeededRandom(seed: 1)
        let report = Privacy.apply(
            to: &delta, config: PrivacyConfig(enabled: true, l2NormClip: 1, noiseMultiplier: 0),
            noise: &generator)
        #expect(report == PrivacyReport(noiseScale: 0, clippingApplied: true))
        #expect(abs(Privacy.norm(delta) - 1) < 1e-12)
        #expect(abs(delta["a"]![0] - 0.6) < 1e-12 && abs(delta["b"]![0] - 0.8) < 1e-12)
        // Already inside the bound: unchanged.
        var small: [String: [Double]] = ["a": [0.1]]
        let clipOnly = PrivacyConfig(enabled: true, l2NormClip: 1, noiseMultiplier: 0)
        let unclipped = Privacy.apply(to: &small, config: clipOnly, noise: &generator)
        #expect(!unclipped.clippingApplied && small == ["a": [0.1]])
        #expect(report.json == ["noise_scale": 0, "clipping_applied": true, "epsilon_used": nil])
    }

    @Test func noiseHasTheAskedSpread() {
        var delta: [String: [Double]] = ["a": [Double](repeating: 0, count: 20_000)]
        var generator = SeededRandom(seed: 2)
        let config = PrivacyConfig(enabled: true, l2NormClip: 2, noiseMultiplier: 0.25)
        let report = Privacy.apply(to: &delta, config: config, noise: &generator)
        #expect(report.noiseScale == 0.5)
        let values = delta["a"]!
        let mean = values.reduce(0, +) / Double(values.count)
        let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.02 && abs(spread - 0.5) < 0.02)
    }

    @Test func fitClipsTheUpdateAndDrawsFreshNoise() throws {
        let data = TrainTestData.blobs(rows: 100, width: 4, classes: 3)
        let clipOnly = FitTests.task(
            extra: #", "privacy_config": {"differential_privacy": true, "#
                + #""l2_norm_clip": 0.01, "noise_multiplier": 0}"#)
        let update = try Fit(config: try TrainTestData.config(clipOnly), log: TrainTestData.log).fit(data)
        #expect(Privacy.norm(update.gradients) <= 0.01 + 1e-12)
        #expect(update.json["privacy_metrics"] == ["noise_scale": 0, "clipping_applied": true, "epsilon_used": nil])
        // weights = start + clipped delta, so the starting point is unchanged.
        let shape = NetworkShape(inputs: 4, hidden: [12], outputs: 3, task: .classification)
        let start = TrainTestData.networkStart(data, shape, seed: Seeds.session(id: "session-1"))
        for (name, values) in ModelUpdate.difference(update.weights, update.gradients) {
            for (index, value) in values.enumerated() { #expect(abs(value - start[name]![index]) < 1e-12) }
        }
        let noisy = FitTests.task(
            extra: #", "privacy_config": {"differential_privacy": true, "l2_norm_clip": 1, "#
                + #""noise_multiplier": 1}"#)
        let config = try TrainTestData.config(noisy)
        let a = try Fit(config: config, log: TrainTestData.log).fit(data)
        let b = try Fit(config: config, log: TrainTestData.log).fit(data)
        #expect(a.gradients != b.gradients)  // the system CSPRNG, not the session seed
        #expect(a.json["privacy_metrics"]?["noise_scale"] == 1)
    }
}
