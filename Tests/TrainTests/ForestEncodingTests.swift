import Shared
import Testing

@testable import prty_train

/// `weights.trees`, `metadata.forest` and the union of forests.
struct ForestEncodingTests {
    typealias Data = ForestTestData

    static let data = Data.informative(rows: 400, width: 5, informative: 3, flip: 0.1)
    static let forest = try! Data.fit(data, ["num_trees": 6, "max_depth": 0])

    @Test func metadataRoundTripsThroughJSONText() throws {
        let text = Self.forest.metadata().serialized()
        let rebuilt = try RandomForest(metadata: try JSONParser.parse(text))
        #expect(rebuilt == Self.forest)
        #expect(rebuilt.predictProbabilities(Self.data) == Self.forest.predictProbabilities(Self.data))
        #expect(rebuilt.metadata().serialized() == text)
    }

    @Test func nodesInAnyParentFirstOrderPredictTheSame() throws {
        // The same trees with their nodes listed breadth first (still every child after its parent): the
        // decoder accepts them and prediction, which lays trees out in pre-order itself, gives the same answers.
        var metadata = try #require(Self.forest.metadata().objectValue)
        var reordered = [JSON]()
        for tree in Self.forest.trees {
            var order = [0]
            var position = 0
            while position < order.count {
                let node = tree.nodes[order[position]]
                if !node.isLeaf { order += [Int(node.left), Int(node.right)] }
                position += 1
            }
            var newIndex = [Int](repeating: 0, count: order.count)
            for (new, old) in order.enumerated() { newIndex[old] = new }
            var feature = [JSON]()
            var threshold = [JSON]()
            var left = [JSON]()
            var right = [JSON]()
            var value = [JSON]()
            for old in order {
                let node = tree.nodes[old]
                if node.isLeaf {
                    feature.append(-1)
                    threshold.append(nil)
                    left.append(-1)
                    right.append(-1)
                    let offset = Int(node.left) * 3
                    value.append(.doubles(Array(tree.values[offset..<offset + 3])))
                } else {
                    feature.append(.int(Int(node.feature)))
                    threshold.append(.double(node.threshold))
                    left.append(.int(newIndex[Int(node.left)]))
                    right.append(.int(newIndex[Int(node.right)]))
                    value.append(nil)
                }
            }
            reordered.append([
                "feature": .array(feature), "threshold": .array(threshold), "left": .array(left),
                "right": .array(right), "value": .array(value),
            ])
        }
        metadata["trees"] = .array(reordered)
        let rebuilt = try RandomForest(metadata: .object(metadata))
        #expect(rebuilt.trees != Self.forest.trees)
        #expect(rebuilt.predictProbabilities(Self.data) == Self.forest.predictProbabilities(Self.data))
        // The flat encoding writes pre-order whatever the order in memory: it equals the original's.
        #expect(rebuilt.weights() == Self.forest.weights())
    }

    @Test func weightsRoundTrip() throws {
        let rebuilt = try RandomForest(weights: Self.forest.weights(), classes: Self.forest.classes)
        #expect(rebuilt.trees == Self.forest.trees)
        #expect(rebuilt.featureImportance == Self.forest.featureImportance)
        #expect(rebuilt.predict(Self.data) == Self.forest.predict(Self.data))
        // Shallow trees have impure leaves (the long leaf form): the same round trip.
        let shallow = try Data.fit(Self.data, ["num_trees": 4, "max_depth": 3])
        let flat = shallow.weights()["trees"]!
        #expect(flat.contains(-1) && flat.contains(-2))
        let again = try RandomForest(weights: shallow.weights(), classes: shallow.classes)
        #expect(again.trees == shallow.trees)
        #expect(again.predictProbabilities(Self.data) == shallow.predictProbabilities(Self.data))
        let values = shallow.metadata()["trees"]!.arrayValue!.flatMap { $0["value"]!.arrayValue! }
        #expect(values.contains { $0.arrayValue != nil } && values.contains { $0.intValue != nil })
        #expect(try RandomForest(metadata: JSONParser.parse(shallow.metadata().serialized())) == shallow)
    }

    @Test func flatEncodingLayout() throws {
        // One feature, a perfect split at 3: root [0, 3, 2] (right child node 2), then two pure leaves [-2, 0] and
        // [-2, 1].
        let data = Dataset(
            features: [1, 2, 4, 8], width: 1, labels: [0, 0, 1, 1], task: .classification,
            classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 2, "bootstrap_samples": false, "oob_score": false])
        let tree: [Double] = [3, 0, 3, 2, -2, 0, -2, 1]
        #expect(forest.weights()["trees"] == [1, 2, 2, 1] + tree + tree)
        #expect(forest.weights()["feature_importance"] == [1])
        let metadata = forest.metadata()
        #expect(metadata["format"] == "prty.forest/1")
        #expect(metadata["feature_count"] == 1)
        #expect(metadata["classes"] == [0, 1])
        #expect(metadata["oob_score"] == .null)
        let first = try #require(metadata["trees"]?.arrayValue?.first)
        #expect(first["feature"] == [0, -1, -1])
        #expect(first["threshold"] == [3, nil, nil])
        #expect(first["left"] == [1, -1, -1])
        #expect(first["right"] == [2, -1, -1])
        #expect(first["value"] == [nil, 0, 1])  // pure leaves: the class index
    }

    /// The metadata of a tiny forest, as a mutable object, for forging.
    func tinyMetadata() throws -> [String: JSON] {
        let data = Dataset(
            features: [1, 2, 4, 8], width: 1, labels: [0, 0, 1, 1], task: .classification,
            classes: [0, 1])
        let forest = try Data.fit(data, ["num_trees": 1, "bootstrap_samples": false, "oob_score": false])
        return try #require(forest.metadata().objectValue)
    }

    func withTree(_ metadata: [String: JSON], _ key: String, _ value: JSON) -> JSON {
        var tree = metadata["trees"]!.arrayValue![0].objectValue!
        tree[key] = value
        var copy = metadata
        copy["trees"] = [.object(tree)]
        return .object(copy)
    }

    @Test func forgedMetadataIsRefused() throws {
        let good = try tinyMetadata()
        #expect(throws: Never.self) { try RandomForest(metadata: .object(good)) }
        var cases: [(JSON, String)] = [
            (.string("forest"), "must be an object"),
            (withTree(good, "left", [2, -1, -1]), "node 2 has two parents"),
            (withTree(good, "left", [0, -1, -1]), "must be a later node"),  // a cycle
            (withTree(good, "right", [5, -1, -1]), "node 0"),
            (withTree(good, "feature", [1, -1, -1]), "node 0"),  // only feature 0 exists
            (withTree(good, "feature", [0, -1]), "one entry per node"),
            (withTree(good, "value", [nil, [1, 0], [0.5, 0.2]]), "sum to 1"),
            (withTree(good, "value", [nil, [1, 0], [0, 1, 0]]), "a class index or 2 probabilities"),
            (withTree(good, "value", [nil, [1, 0], [-1, 2]]), "in [0, 1]"),
            (withTree(good, "value", [nil, 0, 2]), "class must be in 0...1, got 2"),
            (withTree(good, "value", [nil, 0, "1"]), "a class index or 2 probabilities"),
            (withTree(good, "value", [nil, 0, [0.5, "x"]]), "probabilities must be numbers"),
            (withTree(good, "threshold", ["3", nil, nil]), "numeric threshold"),
            (withTree(good, "threshold", [3, 1, nil]), "a leaf needs"),
        ]
        var wrongFormat = good
        wrongFormat["format"] = "prty.forest/2"
        cases.append((.object(wrongFormat), "format must be"))
        var noTrees = good
        noTrees["trees"] = []
        cases.append((.object(noTrees), "at least one tree"))
        var shortImportance = good
        shortImportance["feature_importance"] = [0.5, 0.5]
        cases.append((.object(shortImportance), "feature_importance has 2 entries for 1 features"))
        var unsorted = good
        unsorted["classes"] = [1, 0]
        cases.append((.object(unsorted), "distinct and ascending"))
        var badOOB = good
        badOOB["oob_score"] = 2
        cases.append((.object(badOOB), "oob_score"))
        for (document, fragment) in cases {
            let error = #expect(throws: TrainError.self) { try RandomForest(metadata: document) }
            #expect(error?.description.hasPrefix("metadata.forest: ") == true)
            #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "") lacks \(fragment)")
        }
    }

    @Test func forgedWeightsAreRefused() throws {
        let good = Self.forest.weights()
        let classes = Self.forest.classes
        func refused(_ trees: [Double], classes: [Double] = [0, 1, 2]) -> String? {
            var weights = good
            weights["trees"] = trees
            do {
                _ = try RandomForest(weights: weights, classes: classes)
                return nil
            } catch let error as TrainError {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        let flat = good["trees"]!
        #expect(refused(flat, classes: classes) == nil)
        #expect(refused(Array(flat.dropLast()))?.contains("ends early") == true)
        #expect(refused(flat + [0])?.contains("after the last tree") == true)
        #expect(refused([2] + flat.dropFirst())?.contains("unknown encoding version") == true)
        #expect(refused(flat, classes: [0, 1])?.contains("has 3 classes") == true)
        #expect(refused([1, 1, 3, 5, 1, 0, 0.5, 1])?.contains("a right child") == true)  // beyond the tree
        #expect(refused([1, 1, 3, 5, 1, 0, 0.5, 0])?.contains("child 1 must be a later node") == true)  // left too
        #expect(refused([1, 1, 3, 5, 1, -2, 3])?.contains("class") == true)
        #expect(refused([1, 1, 3, 5, 1, -3, 0])?.contains("feature") == true)
        #expect(refused([1, 1, 3, 5, 1, 9, 0.5, 0, 0])?.contains("feature") == true)
        #expect(refused([1, 1, 3, 5, 3, 0, 0.5, 1, -2, 0, -2, 1])?.contains("two parents") == true)
        #expect(refused([1, 1, 3, 5, 1, -1, 0.5, 0.5, 0.5])?.contains("sum to 1") == true)
        var noImportance = good
        noImportance["feature_importance"] = nil
        #expect(throws: TrainError.self) { try RandomForest(weights: noImportance, classes: classes) }
    }

    @Test func unionConcatenatesTreesAndWeighsImportanceByDataSize() throws {
        let other = try Data.fit(Self.data, ["num_trees": 3, "max_depth": 2], seed: 99)
        let union = RandomForest.union([Self.forest, other], dataSizes: [300, 100])
        #expect(union.trees == Self.forest.trees + other.trees)
        for feature in 0..<5 {
            let expected = 0.75 * Self.forest.featureImportance[feature] + 0.25 * other.featureImportance[feature]
            #expect(abs(union.featureImportance[feature] - expected) < 1e-15)
        }
        #expect(abs(union.featureImportance.reduce(0, +) - 1) < 1e-9)
        let oob = 0.75 * Self.forest.oobScore! + 0.25 * other.oobScore!
        #expect(abs(union.oobScore! - oob) < 1e-15)
        // The union votes like one big forest: its probabilities are the tree-count-weighted mean of the parts'.
        let a = Self.forest.predictProbabilities(Self.data)
        let b = other.predictProbabilities(Self.data)
        let u = union.predictProbabilities(Self.data, voting: .soft)
        for index in u.indices { #expect(abs(u[index] - (6 * a[index] + 3 * b[index]) / 9) < 1e-12) }
        #expect(union.members.map(\.trees) == [6, 3])
        // And it survives its own encoding.
        #expect(try RandomForest(metadata: union.metadata()) == union)
    }

    @Test func unionOfMismatchedForestsIsRefused() throws {
        let wide = try Data.fit(Data.informative(rows: 50, width: 6, informative: 2), ["num_trees": 2])
        #expect(throws: TrainError.self) { try RandomForest.checkUnion([Self.forest, wide]) }
        var relabelled = Self.forest
        relabelled.classes = [0, 1, 5]
        let error = #expect(throws: TrainError.self) { try RandomForest.checkUnion([Self.forest, relabelled]) }
        #expect(error?.description.contains("forest 2 has classes") == true)
        #expect(throws: TrainError.self) { try RandomForest.checkUnion([]) }
        #expect(throws: Never.self) { try RandomForest.checkUnion([Self.forest, Self.forest]) }
    }
}
