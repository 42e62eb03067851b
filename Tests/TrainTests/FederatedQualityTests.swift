import Shared
import Testing

@testable import prty_train

/// What a federated round gets right beyond one participant's fit: networks on unscaled features (standardised
/// inside training, folded back exactly), forests under label skew (prior-corrected voting, out-of-bag metrics),
/// and FedProx's proximal term.
struct FederatedQualityTests {
    /// Three classes in 13 features whose scales span four orders of magnitude (0.1 to 1000), like UCI wine:
    /// each class shifts every feature by about one of its spreads.
    static func wineLike(rows: Int, seed: UInt64 = 5) -> Dataset {
        var random = SeededRandom(seed: seed)
        let width = 13
        let scales = (0..<width).map { [0.1, 1.0, 10.0, 100.0, 1000.0][$0 % 5] }
        let offsets = (0..<width).map { f in scales[f] * Double(3 + f % 4) }
        let centres = (0..<3).map { _ in (0..<width).map { _ in random.nextGaussian() } }
        var features = [Double]()
        var labels = [Double]()
        for row in 0..<rows {
            let label = row % 3
            for f in 0..<width {
                features.append(offsets[f] + scales[f] * (centres[label][f] + 0.8 * random.nextGaussian()))
            }
            labels.append(Double(label))
        }
        return Dataset(features: features, width: width, labels: labels, task: .classification, classes: [0, 1, 2])
    }

    static func networkTask(extra: String = "") -> String {
        #"{"session_id": "s", "round_id": "r1", "model_type": "neural_network", "#
            + #""model_config": {"hidden_sizes": [16]}, "#
            + #""train_config": {"epochs": 20, "batch_size": 16, "learning_rate": 0.01, "optimizer": "sgd"\#(extra)}}"#
    }

    static func fit(_ text: String, _ data: Dataset) throws -> ModelUpdate {
        try Fit(config: try TrainTestData.config(text), log: TrainTestData.log).fit(data)
    }

    // MARK: Networks

    @Test func foldingTheScalingIsExact() throws {
        let data = Self.wineLike(rows: 60)
        let scaling = Standardisation(data.features, rows: data.count, width: data.width)
        let shape = NetworkShape(inputs: 13, hidden: [8, 5], outputs: 3, task: .classification)
        let network = NeuralNetworkTests.network([13, 8, 5, 3], task: .classification, seed: 4)
        let inside = network.standardised(scaling)
        let z = scaling.apply(data.features, rows: data.count)
        let original = network.outputs(data.features, rows: data.count)
        let standardised = inside.outputs(z, rows: data.count)
        for index in original.indices { #expect(abs(original[index] - standardised[index]) < 1e-9) }
        // And back: the same parameters, to rounding; only the first layer changes.
        let back = inside.unstandardised(scaling)
        for index in network.parameters.indices {
            let tolerance = 1e-12 * max(1, abs(network.parameters[index]))
            #expect(abs(back.parameters[index] - network.parameters[index]) <= tolerance * 1e3)
        }
        let tail = shape.weightOffset(1)
        #expect(Array(inside.parameters[tail...]) == Array(network.parameters[tail...]))
    }

    @Test func unscaledFeaturesNoLongerTrainAtChance() throws {
        let data = Self.wineLike(rows: 300)
        let update = try Self.fit(Self.networkTask(), data)
        #expect(update.accuracy > 0.85, "held-out accuracy \(update.accuracy) on unscaled features")
        // The update is in original units: evaluating it on the raw rows gives the same accuracy.
        let document = try ModelDocument(update.json, source: "update", role: .input)
        let metrics = try LoadedModel(document, dataset: data, source: "update").evaluate(data)
        #expect(metrics.accuracy > 0.85)
        #expect(update.json["metadata"]?["input_scaling"]?["folded_into"] != nil)
    }

    @Test func aRoundFromTheGlobalModelStartsWhereItEnded() throws {
        let data = Self.wineLike(rows: 150)
        let first = try Self.fit(Self.networkTask(), data)
        let aggregate = try Aggregate.aggregate([
            (try ModelDocument(first.json, source: "a", role: .input), "a")
        ])
        var values = try TrainTestData.task(Self.networkTask()).values
        values["global_model"] = aggregate
        values["round_id"] = "r2"
        let config = try TrainConfig(try TaskConfig(values), caps: .defaults)
        let second = try Fit(config: config, log: TrainTestData.log).fit(data)
        // The start of round 2 (weights − delta) is round 1's model, to rounding of the exact round trip.
        let start = ModelUpdate.difference(second.weights, second.gradients)
        for (name, values) in first.weights {
            for (index, value) in values.enumerated() {
                #expect(abs(start[name]![index] - value) <= 1e-9 * max(1, abs(value)))
            }
        }
        #expect(second.accuracy >= first.accuracy - 0.05)
    }

    @Test func skewedPartsEstimateTheSessionsScalingFromTheirClassMix() throws {
        let data = Self.wineLike(rows: 3000)
        let parts = FederatedQualityTests.skewedParts(data)
        let sessionCounts = [1000, 1000, 1000]
        let whole = Standardisation(data.features, rows: data.count, width: data.width)
        for part in parts {
            let classes = part.labels.map { Int($0) }
            let local = Standardisation(part.features, rows: part.count, width: part.width)
            let weighted = Standardisation.network(
                part.features, rows: part.count, width: part.width, classIndex: classes, classCounts: sessionCounts)
            // Each part has only a few dozen rows of some classes, so the estimates are noisy; on average over the
            // features they are much closer to the whole set's than the local statistics are.
            var localError = 0.0
            var weightedError = 0.0
            for f in 0..<data.width {
                localError += abs(local.means[f] - whole.means[f]) / whole.scales[f] / Double(data.width)
                weightedError += abs(weighted.means[f] - whole.means[f]) / whole.scales[f] / Double(data.width)
                #expect(abs(weighted.scales[f] / whole.scales[f] - 1) < 0.3)
            }
            #expect(weightedError < 0.1 && weightedError < localError, "\(weightedError) vs local \(localError)")
        }
        // The session's counts come from the partition object; without one, the local statistics.
        var part = parts[0]
        #expect(Standardisation.sessionClassCounts(part) == nil)
        part.partition = ["class_counts": [[1, 2, 3], [4, 5, 6]]]
        #expect(Standardisation.sessionClassCounts(part) == [5, 7, 9])
        part.partition = ["class_counts": [[1, 2]]]
        #expect(Standardisation.sessionClassCounts(part) == nil)
    }

    // MARK: FedProx

    @Test(arguments: [Dataset.Task.classification, .regression])
    func proximalGradientMatchesFiniteDifferences(task: Dataset.Task) {
        let sizes = task == .classification ? [4, 6, 3] : [3, 5, 1]
        let network = NeuralNetworkTests.network(sizes, task: task, seed: 21)
        var random = SeededRandom(seed: 8)
        let anchor = network.parameters.map { $0 + random.nextGaussian() * 0.3 }
        let rows = 6
        let features = (0..<(rows * sizes[0])).map { _ in random.nextGaussian() }
        let targets: NeuralNetwork.Targets =
            task == .classification
            ? .classes((0..<rows).map { $0 % 3 }) : .values((0..<rows).map { _ in random.nextGaussian() })
        let proximal = (mu: 0.7, anchor: anchor)
        let (loss, gradient) = network.lossAndGradient(
            features: features, rows: rows, targets: targets, proximal: proximal)
        let plain = network.lossAndGradient(features: features, rows: rows, targets: targets).loss
        var squares = 0.0
        for index in anchor.indices { squares += pow2(network.parameters[index] - anchor[index]) }
        #expect(abs(loss - plain - 0.35 * squares) < 1e-12)
        let h = 1e-6
        var worst = 0.0
        for index in network.parameters.indices {
            var plus = network
            var minus = network
            plus.parameters[index] += h
            minus.parameters[index] -= h
            let numeric =
                (plus.lossAndGradient(features: features, rows: rows, targets: targets, proximal: proximal).loss
                    - minus.lossAndGradient(features: features, rows: rows, targets: targets, proximal: proximal)
                    .loss) / (2 * h)
            worst = max(worst, abs(numeric - gradient[index]) / max(1e-4, abs(numeric) + abs(gradient[index])))
        }
        #expect(worst < 1e-5, "largest relative gradient error \(worst)")
    }

    private func pow2(_ x: Double) -> Double { x * x }

    @Test func proximalMuIsReadCheckedAndRecorded() throws {
        let update = try Self.fit(Self.networkTask(extra: #", "proximal_mu": 0.5"#), Self.wineLike(rows: 90))
        #expect(update.json["metadata"]?["config"]?["train_config"]?["proximal_mu"] == 0.5)
        let error = #expect(throws: TrainError.self) {
            try TrainTestData.config(Self.networkTask(extra: #", "proximal_mu": -1"#))
        }
        #expect(error?.description.contains("proximal_mu must be a number ≥ 0") == true)
        // A strong pull keeps the weights near the start; μ = 0 is plain training.
        let data = Self.wineLike(rows: 90)
        let free = try Self.fit(Self.networkTask(), data)
        let held = try Self.fit(Self.networkTask(extra: #", "proximal_mu": 100"#), data)
        #expect(Privacy.norm(held.gradients) < Privacy.norm(free.gradients) / 2)
    }

    // MARK: Forests

    /// `data` dealt to three participants with strong label skew: class c goes mostly to participant c.
    static func skewedParts(_ data: Dataset, seed: UInt64 = 3) -> [Dataset] {
        var random = SeededRandom(seed: seed)
        // Per class, each participant's share: the Dirichlet(0.5) draw prty-partition makes for three parts of
        // the benchmark's 80,000-row set (seed of session "bench-federated").
        let shares: [[Double]] = [[0.2, 0.38, 0.42], [0.03, 0.06, 0.91], [0.04, 0.9, 0.06]]
        var rows: [[Int]] = [[], [], []]
        for row in 0..<data.count {
            let label = Int(data.labels[row])
            let u = random.nextUnit()
            let part = u < shares[label][0] ? 0 : (u < shares[label][0] + shares[label][1] ? 1 : 2)
            rows[part].append(row)
        }
        return rows.map { data.subset($0) }
    }

    @Test func priorCorrectedVotingBeatsSoftVotingUnderLabelSkew() throws {
        let data = ForestTestData.informative(rows: 3000, width: 6, informative: 3, flip: 0.05, seed: 12)
        let test = ForestTestData.informative(rows: 2000, width: 6, informative: 3, flip: 0.05, seed: 13)
        let parts = Self.skewedParts(data)
        let forests = try parts.enumerated().map { index, part in
            try ForestTestData.fit(part, ["num_trees": 20], seed: UInt64(index + 1))
        }
        for (forest, part) in zip(forests, parts) {
            let counts = (0..<3).map { c in part.labels.filter { $0 == Double(c) }.count }
            #expect(forest.members == [RandomForest.Member(trees: 20, labelCounts: counts)])
        }
        let union = RandomForest.union(forests, dataSizes: parts.map(\.count))
        #expect(union.voting == .priorCorrected)
        func accuracy(_ voting: RandomForest.Voting) -> Double {
            let p = union.predictProbabilities(test, voting: voting)
            let targets = test.labels.map { Int($0) }
            return Metrics.classification(probabilities: p, classCount: 3, targets: targets).accuracy
        }
        let soft = accuracy(.soft)
        let corrected = accuracy(.priorCorrected)
        #expect(corrected > soft + 0.01, "prior-corrected \(corrected) vs soft \(soft)")
        // Probabilities stay probabilities.
        let p = union.predictProbabilities(test)
        for row in 0..<test.count { #expect(abs(p[row * 3] + p[row * 3 + 1] + p[row * 3 + 2] - 1) < 1e-9) }
        // The members and the choice travel with the document, and an aggregate of aggregates keeps every member.
        let decoded = try RandomForest(metadata: union.metadata())
        #expect(decoded == union)
        let again = RandomForest.union([union, forests[0]], dataSizes: [3000, parts[0].count])
        #expect(again.members.count == 4)
    }

    @Test func aSingleForestVotesSoftlyAndOldDocumentsStillRead() throws {
        let data = ForestTestData.informative(rows: 300, width: 5, informative: 2)
        let forest = try ForestTestData.fit(data, ["num_trees": 5])
        #expect(forest.predictProbabilities(data) == forest.predictProbabilities(data, voting: .soft))
        var metadata = forest.metadata().objectValue!
        metadata["members"] = nil
        metadata["voting"] = nil
        let old = try RandomForest(metadata: .object(metadata))
        #expect(old.members.isEmpty && old.voting == .priorCorrected)
        metadata["members"] = [["trees": 4, "label_counts": [1, 2, 3]]]
        #expect(throws: TrainError.self) { try RandomForest(metadata: .object(metadata)) }
        metadata["members"] = [["trees": 5, "label_counts": [1, 2]]]
        #expect(throws: TrainError.self) { try RandomForest(metadata: .object(metadata)) }
        metadata["members"] = nil
        metadata["voting"] = "majority"
        #expect(throws: TrainError.self) { try RandomForest(metadata: .object(metadata)) }
    }

    @Test func bootstrapForestsMeasureOutOfBagAndTrainOnEveryRow() throws {
        let data = ForestTestData.informative(rows: 400, width: 5, informative: 2, flip: 0.1)
        let task =
            #"{"session_id": "s", "round_id": "r1", "model_type": "random_forest", "#
            + #""model_config": {"num_trees": 30}}"#
        let update = try Self.fit(task, data)
        #expect(update.json["data_size"] == 400)
        let validation = update.json["metadata"]?["validation"]
        #expect(validation?["measured_on"] == "out_of_bag")
        #expect(update.accuracy > 0.6 && update.accuracy < 0.97)  // not the optimistic training accuracy
        #expect(update.loss.isFinite && update.loss > 0)
        // Without bootstrap the held-out slice measures it, as before.
        let plain =
            #"{"session_id": "s", "round_id": "r1", "model_type": "random_forest", "#
            + #""model_config": {"num_trees": 5, "bootstrap_samples": false}}"#
        let held = try Self.fit(plain, data)
        #expect(held.json["data_size"] == 320)
        #expect(held.json["metadata"]?["validation"]?["measured_on"] == "held_out")
    }
}
