import Shared
import Testing

@testable import prty_train

/// The forest's behaviour: accuracy on known sets, importance, out-of-bag score, determinism, limits.
struct RandomForestTests {
    typealias Data = ForestTestData

    @Test func separableSetIsLearnedPerfectly() throws {
        let train = Data.quadrants(rows: 400)
        let test = Data.quadrants(rows: 400, seed: 99)
        let forest = try Data.fit(train, ["num_trees": 25, "max_depth": 0])
        #expect(Data.accuracy(forest, train) == 1)
        #expect(Data.accuracy(forest, test) >= 0.97)
        #expect(forest.trees.count == 25)
        #expect(forest.classes == [0, 1, 2, 3])
    }

    @Test func probabilitiesAreTheMeanOfTheTreesAndSumToOne() throws {
        let data = Data.informative(rows: 300, width: 5, informative: 2, flip: 0.2)
        let forest = try Data.fit(data, ["num_trees": 7, "max_depth": 3])
        let probabilities = forest.predictProbabilities(data)
        #expect(probabilities.count == data.count * 3)
        for row in 0..<data.count {
            var expected = [0.0, 0.0, 0.0]
            data.features.withUnsafeBufferPointer { features in
                for tree in forest.trees {
                    tree.nodes.withUnsafeBufferPointer { nodes in
                        let offset = tree.leafOffset(
                            features.baseAddress! + row * 5, classCount: 3,
                            nodes: nodes.baseAddress!)
                        for c in 0..<3 { expected[c] += tree.values[offset + c] }
                    }
                }
            }
            for c in 0..<3 { #expect(abs(probabilities[row * 3 + c] - expected[c] / 7) < 1e-12) }
            #expect(abs(probabilities[row * 3..<row * 3 + 3].reduce(0, +) - 1) < 1e-9)
        }
    }

    @Test func tiesGoToTheSmallestClass() {
        #expect(RandomForest.argmax([0.5, 0.5, 0], offset: 0, count: 3) == 0)
        #expect(RandomForest.argmax([0.2, 0.4, 0.4], offset: 0, count: 3) == 1)
        #expect(RandomForest.argmax([9, 0.2, 0.3, 0.5], offset: 1, count: 3) == 2)
    }

    @Test func importanceSumsToOneAndRanksInformativeFeaturesFirst() throws {
        let data = Data.informative(rows: 1500, width: 8, informative: 3)
        let forest = try Data.fit(data, ["num_trees": 40, "max_depth": 0])
        #expect(forest.featureImportance.count == 8)
        #expect(abs(forest.featureImportance.reduce(0, +) - 1) < 1e-9)
        #expect(forest.featureImportance.allSatisfy { $0 >= 0 })
        let ranked = forest.featureImportance.indices.sorted {
            forest.featureImportance[$0] > forest.featureImportance[$1]
        }
        #expect(Set(ranked.prefix(3)) == [0, 1, 2])
        #expect(ranked[0] == 0)  // the largest coefficient
    }

    @Test func importanceOfOnePerfectSplitIsAllOnThatFeature() throws {
        // Feature 1 separates the classes; feature 0 is noise. Depth 1 with both features drawn: one split on 1.
        var features = [Double]()
        var labels = [Double]()
        var random = SeededRandom(seed: 3)
        for row in 0..<100 {
            features += [random.nextUnit(), Double(row % 2) + random.nextUnit() * 0.5]
            labels.append(Double(row % 2))
        }
        let data = Dataset(features: features, width: 2, labels: labels, task: .classification, classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 5, "max_depth": 1, "max_features": 2])
        #expect(forest.featureImportance == [0, 1])
        for tree in forest.trees {
            #expect(tree.nodes.count == 3)
            #expect(tree.nodes[0].feature == 1)
            #expect(tree.nodes[0].threshold > 0.5 && tree.nodes[0].threshold < 1)
        }
    }

    @Test func aForestOfSingleLeavesHasZeroImportance() throws {
        let data = Dataset(
            features: [1, 2, 3, 4], width: 1, labels: [1, 1, 1, 1], task: .classification,
            classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 3])
        #expect(forest.featureImportance == [0])
        #expect(forest.trees.allSatisfy { $0.nodes.count == 1 })
        #expect(forest.predict(data) == [1, 1, 1, 1])
        #expect(forest.predictProbabilities(data).prefix(2) == [0, 1])
    }

    @Test func thresholdIsTheMidpointBetweenTheTwoValuesItSeparates() throws {
        let data = Dataset(
            features: [1, 2, 4, 8], width: 1, labels: [0, 0, 1, 1], task: .classification,
            classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 1, "bootstrap_samples": false, "oob_score": false])
        #expect(forest.trees[0].nodes.count == 3)
        #expect(forest.trees[0].nodes[0].threshold == 3)
        #expect(forest.trees[0].values == [1, 0, 0, 1])
    }

    @Test func sameSeedSameForestOtherSeedOtherForest() throws {
        let data = Data.informative(rows: 500, width: 6, informative: 2, flip: 0.1)
        let first = try Data.fit(data, ["num_trees": 10], seed: 11)
        let again = try Data.fit(data, ["num_trees": 10], seed: 11)
        let other = try Data.fit(data, ["num_trees": 10], seed: 12)
        #expect(first.weights() == again.weights())
        #expect(first.metadata().serialized() == again.metadata().serialized())
        #expect(first.weights()["trees"] != other.weights()["trees"])
        let byState = try Data.fit(data, ["num_trees": 10, "random_state": 12], seed: 11)
        #expect(byState.weights() == other.weights())  // random_state overrides the session seed
    }

    @Test func parallelBuildEqualsSerialBuild() throws {
        let data = Data.informative(rows: 800, width: 6, informative: 3, flip: 0.05)
        let serial = try Data.fit(data, ["num_trees": 12, "max_depth": 0], threads: 1)
        let parallel = try Data.fit(data, ["num_trees": 12, "max_depth": 0], threads: 4)
        #expect(serial == parallel)
        #expect(serial.predictProbabilities(data) == parallel.predictProbabilities(data))
    }

    @Test func treeIsIndependentOfItsNeighbours() throws {
        // Tree i depends only on random_state and i: the first trees of a 3-tree and a 6-tree forest agree.
        let data = Data.informative(rows: 300, width: 5, informative: 2, flip: 0.1)
        let small = try Data.fit(data, ["num_trees": 3], threads: 2)
        let large = try Data.fit(data, ["num_trees": 6], threads: 3)
        #expect(Array(large.trees.prefix(3)) == small.trees)
    }

    @Test func outOfBagScoreIsPlausible() throws {
        // 20% of labels replaced at random (a third of them by the right label): the best accuracy on fresh
        // rows is about 0.87, and the out-of-bag score estimates the accuracy on fresh rows.
        let data = Data.informative(rows: 2000, width: 4, informative: 2, flip: 0.2)
        let forest = try Data.fit(data, ["num_trees": 50, "max_depth": 6])
        let fresh = Data.informative(rows: 2000, width: 4, informative: 2, flip: 0.2, seed: 77)
        let oob = try #require(forest.oobScore)
        #expect(oob > 0.75 && oob < 0.92)
        #expect(abs(oob - Data.accuracy(forest, fresh)) < 0.04)
        #expect(Data.accuracy(forest, data) > oob)  // training accuracy is optimistic
    }

    @Test func noOutOfBagScoreWhenNotAskedOrImpossible() throws {
        let data = Data.quadrants(rows: 100)
        #expect(try Data.fit(data, ["num_trees": 3, "oob_score": false]).oobScore == nil)
        // By default oob_score is on, but without bootstrap every tree sees every row: no score, no error.
        #expect(try Data.fit(data, ["num_trees": 3, "bootstrap_samples": false]).oobScore == nil)
        // subsample without bootstrap leaves rows out, so there is a score again.
        #expect(try Data.fit(data, ["num_trees": 10, "bootstrap_samples": false, "subsample": 0.5]).oobScore != nil)
    }

    @Test(arguments: [1, 2, 5])
    func depthLimitIsHonoured(depth: Int) throws {
        let data = Data.informative(rows: 600, width: 5, informative: 3, flip: 0.1)
        let forest = try Data.fit(data, ["num_trees": 5, "max_depth": .int(depth)])
        let deepest = forest.trees.flatMap(Data.leafDepths).max()
        #expect(deepest == depth)
    }

    @Test func unlimitedDepthStopsAtTheOperatorsCap() throws {
        let data = Data.informative(rows: 600, width: 5, informative: 3, flip: 0.3)
        let config = try Data.config(data, ["num_trees": 4, "max_depth": 0], caps: TrainCaps(maxDepth: 4))
        #expect(config.depthLimit == 4)
        let forest = try RandomForest.fit(data, config: config, log: Data.quiet, threads: 2)
        #expect(forest.trees.flatMap(Data.leafDepths).max() == 4)
        let unlimited = try Data.fit(data, ["num_trees": 4, "max_depth": 0])
        #expect(unlimited.trees.flatMap(Data.leafDepths).max()! > 4)
    }

    @Test func minSamplesLeafAndSplitAreHonoured() throws {
        let data = Data.informative(rows: 500, width: 4, informative: 2, flip: 0.2)
        let leafy = try Data.fit(
            data,
            [
                "num_trees": 4, "max_depth": 0, "min_samples_leaf": 7,
                "bootstrap_samples": false, "oob_score": false,
            ])
        for tree in leafy.trees {
            #expect(Data.leafRowCounts(tree, data, classCount: 3).allSatisfy { $0 >= 7 })
        }
        let split = try Data.fit(
            data,
            [
                "num_trees": 4, "max_depth": 0, "min_samples_split": 40,
                "bootstrap_samples": false, "oob_score": false,
            ])
        let full = try Data.fit(
            data,
            [
                "num_trees": 4, "max_depth": 0, "bootstrap_samples": false,
                "oob_score": false,
            ])
        #expect(split.trees.map(\.nodes.count).reduce(0, +) < full.trees.map(\.nodes.count).reduce(0, +))
        // A node with fewer than 40 rows is never split: every internal node's children together hold ≥ 40 rows.
        for tree in split.trees {
            let counts = Data.leafRowCounts(tree, data, classCount: 3)
            func rows(_ index: Int) -> Int {
                let node = tree.nodes[index]
                return node.isLeaf ? counts[Int(node.left)] : rows(Int(node.left)) + rows(Int(node.right))
            }
            for (index, node) in tree.nodes.enumerated() where !node.isLeaf { #expect(rows(index) >= 40) }
        }
    }

    @Test func giniAndEntropyBothLearnAndDiffer() throws {
        let train = Data.informative(rows: 1200, width: 6, informative: 3, flip: 0.05)
        let test = Data.informative(rows: 1200, width: 6, informative: 3, flip: 0.05, seed: 8)
        let gini = try Data.fit(train, ["num_trees": 30, "criterion": "gini"])
        let entropy = try Data.fit(train, ["num_trees": 30, "criterion": "entropy"])
        #expect(Data.accuracy(gini, test) > 0.8)
        #expect(Data.accuracy(entropy, test) > 0.8)
        #expect(gini.trees != entropy.trees)
    }

    @Test func impurityKnownValues() {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        defer { counts.deallocate() }
        counts.update(from: [2, 2, 0], count: 3)
        #expect(ForestBuilder.impurity(counts, classCount: 3, total: 4, criterion: .gini) == 0.5)
        #expect(ForestBuilder.impurity(counts, classCount: 3, total: 4, criterion: .entropy) == 1)
        counts.update(from: [1, 1, 2], count: 3)
        #expect(abs(ForestBuilder.impurity(counts, classCount: 3, total: 4, criterion: .gini) - 0.625) < 1e-15)
        #expect(ForestBuilder.impurity(counts, classCount: 3, total: 4, criterion: .entropy) == 1.5)
        counts.update(from: [0, 5, 0], count: 3)
        #expect(ForestBuilder.impurity(counts, classCount: 3, total: 5, criterion: .gini) == 0)
    }

    @Test func constantFeaturesAreDrawnPast() throws {
        // Nine constant features and one informative: with max_features 1 scikit-learn keeps drawing until it
        // meets a non-constant feature, so every split is on feature 9 and the set is learned.
        var features = [Double]()
        var labels = [Double]()
        for row in 0..<60 {
            features += [Double](repeating: 5, count: 9) + [Double(row)]
            labels.append(row < 30 ? 0 : 1)
        }
        let data = Dataset(features: features, width: 10, labels: labels, task: .classification, classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 8, "max_features": 1, "bootstrap_samples": false])
        #expect(Data.accuracy(forest, data) == 1)
        #expect(forest.trees.allSatisfy { $0.nodes.allSatisfy { $0.isLeaf || $0.feature == 9 } })
        #expect(forest.featureImportance[9] == 1)
    }

    @Test func manyClassesAndDuplicateValues() throws {
        // Integer features with many repeats (the histogram path) and 12 classes, some absent from the part.
        var features = [Double]()
        var labels = [Double]()
        for row in 0..<600 {
            features += [Double(row % 10), Double((row / 10) % 6)]
            labels.append(Double(row % 10))
        }
        let data = Dataset(
            features: features, width: 2, labels: labels, task: .classification,
            classes: (0..<12).map(Double.init))
        let forest = try Data.fit(data, ["num_trees": 10, "max_features": 2])
        #expect(Data.accuracy(forest, data) == 1)
        let probabilities = forest.predictProbabilities(data)
        #expect(probabilities.count == 600 * 12)
        #expect((0..<600).allSatisfy { probabilities[$0 * 12 + 10] == 0 && probabilities[$0 * 12 + 11] == 0 })
    }

    @Test func deadlineStopsBetweenTrees() throws {
        let data = Data.informative(rows: 300, width: 5, informative: 2)
        let config = try Data.config(data, ["num_trees": 50])
        let past = TrainingControl(deadline: Monotonic.seconds() - 1, deadlineText: "1ms")
        let error = #expect(throws: TrainError.self) {
            try RandomForest.fit(data, config: config, log: Data.quiet, control: past, threads: 2)
        }
        #expect(error?.exitStatus == .failure)
        #expect(
            error?.description.hasPrefix("training did not finish within the deadline of 1ms (0 of 50 trees") == true)
        let later = TrainingControl.within(seconds: 3600, text: "1h")
        let forest = try RandomForest.fit(data, config: config, log: Data.quiet, control: later, threads: 2)
        #expect(forest.trees.count == 50)
    }

    @Test func labelsOutsideTheClassesAreRefused() throws {
        let data = Dataset(features: [1, 2, 3], width: 1, labels: [0, 1, 5], task: .classification, classes: [0, 1])
        let error = #expect(throws: TrainError.self) { try Data.fit(data) }
        #expect(error?.exitStatus == .dataError)
        #expect(error?.description.contains("label 5 is not one of the dataset's classes") == true)
    }

    @Test func nonFiniteFeaturesAreRefused() throws {
        let data = Dataset(
            features: [1, .nan, 3, 4], width: 2, labels: [0, 1], task: .classification,
            classes: [0, 1])
        let error = #expect(throws: TrainError.self) { try Data.fit(data) }
        #expect(error?.description.contains("feature 1") == true)
    }

    @Test func emptyDatasetIsRefused() throws {
        let data = Dataset(features: [], width: 2, labels: [], task: .classification, classes: [0, 1])
        #expect(throws: TrainError.self) { try Data.fit(data) }
    }

    @Test func labelValuesAreReturnedNotIndices() throws {
        let data = Dataset(
            features: [0, 1, 2, 3, 10, 11, 12, 13], width: 1, labels: [-3, -3, -3, -3, 7.5, 7.5, 7.5, 7.5],
            task: .classification, classes: [-3, 7.5])
        let forest = try Data.fit(data, ["num_trees": 5])
        #expect(forest.predict(data) == data.labels)
    }
}
