import Shared

/// How a forest travels in a model update (docs/formats.md §5.1): `weights.feature_importance` [F], `weights.trees`
/// (the flat encoding below) and the structured forest in `metadata.forest`. Both decoders check everything, so a
/// forged or truncated document is an error (exit 65), never a crash or a loop.
///
/// `weights.trees`, a flat array of numbers:
///
///     [1 (encoding version), T (trees), K (classes), F (features),
///      then per tree: M (nodes), then its M nodes in pre-order, each one of
///        an internal node  [feature (0-based), threshold, right child]   (3 numbers; the left child is the next node)
///        a leaf            [-1, p_0, …, p_{K-1}]                         (1 + K numbers)
///        a pure leaf       [-2, k]                                       (2 numbers: probability 1 for class k)]
///
/// Node indices count nodes within their tree (the root is 0); a row goes left when `row[feature] <= threshold`.
/// `p_k` and `k` refer to `classes[k]` (metadata.classes). A fully grown tree's leaves are nearly all pure, so the
/// short form keeps the array at about a third of the fixed-width one.
///
/// `metadata.forest`:
///
///     {"format": "prty.forest/1", "classes": [...], "feature_count": F, "feature_importance": [...],
///      "oob_score": x | null,
///      "trees": [{"feature": [...], "threshold": [...], "left": [...], "right": [...], "value": [...]}, ...]}
///
/// One entry per node in each per-tree array (scikit-learn's `tree_` arrays). An internal node has `value` null. A
/// leaf has feature, left and right -1, threshold null, and as `value` its class probabilities `[p_0, …, p_{K-1}]`,
/// or just the class index `k` when the leaf is pure (probability 1 for `classes[k]`): a fully grown tree's leaves
/// are nearly all pure, and K numbers each would make most of the document.
extension RandomForest {
    static let metadataFormat = "prty.forest/1"
    static let encodingVersion = 1.0

    /// `feature_importance` and `trees`, for the update's `weights`.
    func weights() -> [String: [Double]] {
        ["feature_importance": featureImportance, "trees": flatTrees()]
    }

    func flatTrees() -> [Double] {
        let k = classes.count
        var capacity = 4
        for tree in trees { capacity += 1 + tree.nodes.count * 3 }
        var out = [Double]()
        out.reserveCapacity(capacity)
        out.append(contentsOf: [Self.encodingVersion, Double(trees.count), Double(k), Double(featureCount)])
        for tree in trees {
            out.append(Double(tree.nodes.count))
            // Depth first, left before right: the nodes come out in pre-order whatever order `tree` lists them in,
            // and an internal node's right-child slot is filled in when that child comes out.
            var emitted = 0
            var stack = [(node: 0, slot: -1)]
            while let (index, slot) = stack.popLast() {
                if slot >= 0 { out[slot] = Double(emitted) }
                emitted += 1
                let node = tree.nodes[index]
                if node.isLeaf {
                    let offset = Int(node.left) * k
                    let probabilities = tree.values[offset..<offset + k]
                    if let pure = Self.pureClass(probabilities) {
                        out.append(-2)
                        out.append(Double(pure - offset))
                    } else {
                        out.append(-1)
                        out.append(contentsOf: probabilities)
                    }
                } else {
                    out.append(Double(node.feature))
                    out.append(node.threshold)
                    out.append(-1)
                    stack.append((Int(node.right), out.count - 1))
                    stack.append((Int(node.left), -1))
                }
            }
        }
        return out
    }

    /// The structured forest for `metadata.forest`.
    func metadata() -> JSON {
        let k = classes.count
        let encodedTrees: [JSON] = trees.map { tree in
            var feature = [JSON]()
            var threshold = [JSON]()
            var left = [JSON]()
            var right = [JSON]()
            var value = [JSON]()
            feature.reserveCapacity(tree.nodes.count)
            threshold.reserveCapacity(tree.nodes.count)
            left.reserveCapacity(tree.nodes.count)
            right.reserveCapacity(tree.nodes.count)
            value.reserveCapacity(tree.nodes.count)
            for node in tree.nodes {
                if node.isLeaf {
                    feature.append(-1)
                    threshold.append(.null)
                    left.append(-1)
                    right.append(-1)
                    let offset = Int(node.left) * k
                    let probabilities = tree.values[offset..<offset + k]
                    if let pure = Self.pureClass(probabilities) {
                        value.append(.int(pure - offset))
                    } else {
                        value.append(.doubles(Array(probabilities)))
                    }
                } else {
                    feature.append(.int(Int(node.feature)))
                    threshold.append(.double(node.threshold))
                    left.append(.int(Int(node.left)))
                    right.append(.int(Int(node.right)))
                    value.append(.null)
                }
            }
            return .object([
                "feature": .array(feature), "threshold": .array(threshold), "left": .array(left),
                "right": .array(right), "value": .array(value),
            ])
        }
        return .object([
            "format": .string(Self.metadataFormat),
            "classes": .doubles(classes),
            "feature_count": .int(featureCount),
            "feature_importance": .doubles(featureImportance),
            "oob_score": oobScore.map(JSON.double) ?? .null,
            "trees": .array(encodedTrees),
            "members": .array(
                members.map { member in
                    ["trees": .int(member.trees), "label_counts": .ints(member.labelCounts)]
                }),
            "voting": .string(voting.rawValue),
        ])
    }

    /// `members` and `voting` from `metadata.forest` (both optional: older documents have neither). The members'
    /// trees must add up to the forest's and their label counts, when given, have one entry per class.
    private static func decodeMembers(
        _ object: [String: JSON], trees: Int, classes: Int, fail: (String) -> TrainError
    ) throws -> (members: [Member], voting: Voting) {
        var voting = Voting.priorCorrected
        if let value = object["voting"], !value.isNull {
            guard let text = value.stringValue, let parsed = Voting(rawValue: text) else {
                throw fail(
                    "voting must be one of \(Voting.allCases.map(\.rawValue).joined(separator: ", ")), "
                        + "got \(value.serialized())")
            }
            voting = parsed
        }
        guard let value = object["members"], !value.isNull else { return ([], voting) }
        guard case .array(let items) = value else { throw fail("members must be an array") }
        var members = [Member]()
        for (index, item) in items.enumerated() {
            guard let count = item["trees"]?.intValue, count >= 1, case .array(let counts)? = item["label_counts"]
            else { throw fail("members[\(index)] needs trees (≥ 1) and label_counts") }
            let labelCounts = counts.compactMap(\.intValue).filter { $0 >= 0 }
            guard labelCounts.count == counts.count, counts.isEmpty || counts.count == classes else {
                throw fail("members[\(index)].label_counts must hold \(classes) counts ≥ 0, one per class")
            }
            members.append(Member(trees: count, labelCounts: labelCounts))
        }
        guard members.reduce(0, { $0 + $1.trees }) == trees else {
            throw fail("members account for \(members.reduce(0) { $0 + $1.trees }) trees but the forest has \(trees)")
        }
        return (members, voting)
    }

    /// Rebuilds the forest `metadata()` wrote, checking every field: predictions equal the original's.
    init(metadata: JSON) throws {
        func fail(_ message: String) -> TrainError { TrainError.data("metadata.forest: \(message)") }
        guard case .object(let object) = metadata else { throw fail("must be an object, got \(metadata.typeName)") }
        guard object["format"]?.stringValue == Self.metadataFormat else {
            throw fail("format must be \"\(Self.metadataFormat)\", got \(object["format"]?.serialized() ?? "nothing")")
        }
        let classes = try Self.numbers(object["classes"], "classes", fail)
        let featureCount = try Self.count(object["feature_count"], "feature_count", fail)
        let importance = try Self.numbers(object["feature_importance"], "feature_importance", fail)
        var oob: Double?
        if let value = object["oob_score"], !value.isNull {
            guard let score = value.doubleValue, score >= 0, score <= 1 else {
                throw fail("oob_score must be null or a number in [0, 1], got \(value.serialized())")
            }
            oob = score
        }
        guard case .array(let encoded)? = object["trees"] else { throw fail("trees must be an array") }
        let k = classes.count
        var trees = [ForestTree]()
        trees.reserveCapacity(encoded.count)
        for (t, entry) in encoded.enumerated() {
            func treeFail(_ message: String) -> TrainError { fail("tree \(t): \(message)") }
            guard case .object(let tree) = entry else { throw treeFail("must be an object") }
            func column(_ key: String) throws -> [JSON] {
                guard case .array(let items)? = tree[key] else { throw treeFail("\(key) must be an array") }
                return items
            }
            let feature = try column("feature")
            let threshold = try column("threshold")
            let left = try column("left")
            let right = try column("right")
            let value = try column("value")
            let m = feature.count
            guard threshold.count == m, left.count == m, right.count == m, value.count == m else {
                throw treeFail("feature, threshold, left, right and value must have one entry per node")
            }
            var nodes = [ForestTree.Node]()
            nodes.reserveCapacity(m)
            var values = [Double]()
            for index in 0..<m {
                guard let f = feature[index].intValue, let l = left[index].intValue, let r = right[index].intValue,
                    f >= -1, f < featureCount, l >= -1, r >= -1, l < m, r < m
                else { throw treeFail("node \(index): feature, left and right must be node/feature indices") }
                if f == -1 {
                    guard l == -1, r == -1, threshold[index].isNull else {
                        throw treeFail("node \(index): a leaf needs left and right -1 and threshold null")
                    }
                    let leaf = Int32(values.count / max(k, 1))
                    if let pure = value[index].intValue {
                        guard pure >= 0, pure < k else {
                            throw treeFail("node \(index): a pure leaf's class must be in 0...\(k - 1), got \(pure)")
                        }
                        for c in 0..<k { values.append(c == pure ? 1 : 0) }
                    } else {
                        guard case .array(let probabilities) = value[index], probabilities.count == k else {
                            throw treeFail("node \(index): a leaf's value must be a class index or \(k) probabilities")
                        }
                        for p in probabilities {
                            guard let number = p.doubleValue else {
                                throw treeFail("node \(index): probabilities must be numbers")
                            }
                            values.append(number)
                        }
                    }
                    nodes.append(ForestTree.Node(threshold: 0, feature: -1, left: leaf, right: -1))
                } else {
                    guard let cut = threshold[index].doubleValue, value[index].isNull else {
                        throw treeFail("node \(index): an internal node needs a numeric threshold and value null")
                    }
                    nodes.append(ForestTree.Node(threshold: cut, feature: Int32(f), left: Int32(l), right: Int32(r)))
                }
            }
            trees.append(try ForestTree.checked(nodes: nodes, values: values, classCount: k, fail: treeFail))
        }
        try self.init(
            classes: classes, featureCount: featureCount, trees: trees, importance: importance, oob: oob,
            fail: fail)
        (members, voting) = try Self.decodeMembers(object, trees: trees.count, classes: k, fail: fail)
    }

    /// Rebuilds a forest from `weights` (`trees` and `feature_importance`) and the classes, checking every number.
    init(weights: [String: [Double]], classes: [Double]) throws {
        func fail(_ message: String) -> TrainError { TrainError.data("weights.trees: \(message)") }
        guard let flat = weights["trees"], let importance = weights["feature_importance"] else {
            throw TrainError.data("a random forest's weights need trees and feature_importance")
        }
        var cursor = 0
        func next(_ what: String) throws -> Double {
            guard cursor < flat.count else { throw fail("ends early, expecting \(what) at position \(cursor)") }
            defer { cursor += 1 }
            return flat[cursor]
        }
        func integer(_ what: String, in range: ClosedRange<Int>) throws -> Int {
            let value = try next(what)
            guard value.isFinite, value == value.rounded(), value >= Double(range.lowerBound),
                value <= Double(range.upperBound)
            else { throw fail("\(what) at position \(cursor - 1) must be an integer in \(range), got \(value)") }
            return Int(value)
        }
        guard try next("the encoding version") == Self.encodingVersion else {
            throw fail("unknown encoding version \(flat[0]) (this prty reads version 1)")
        }
        let treeCount = try integer("the tree count", in: 0...flat.count)
        let k = try integer("the class count", in: 1...flat.count)
        guard k == classes.count else { throw fail("has \(k) classes but the model has \(classes.count)") }
        let featureCount = try integer("the feature count", in: 1...Int(Int32.max))
        var trees = [ForestTree]()
        for t in 0..<treeCount {
            func treeFail(_ message: String) -> TrainError { fail("tree \(t): \(message)") }
            let m = try integer("tree \(t)'s node count", in: 1...flat.count)
            var nodes = [ForestTree.Node]()
            var values = [Double]()
            for index in 0..<m {
                let f = try integer("tree \(t) node \(index)'s feature", in: -2...(featureCount - 1))
                if f < 0 {
                    let leaf = Int32(values.count / k)
                    if f == -2 {
                        let pure = try integer("tree \(t) node \(index)'s class", in: 0...(k - 1))
                        for c in 0..<k { values.append(c == pure ? 1 : 0) }
                    } else {
                        for _ in 0..<k { values.append(try next("a leaf probability")) }
                    }
                    nodes.append(ForestTree.Node(threshold: 0, feature: -1, left: leaf, right: -1))
                } else {
                    let cut = try next("a threshold")
                    let r = try integer("a right child", in: 0...(m - 1))
                    nodes.append(
                        ForestTree.Node(
                            threshold: cut, feature: Int32(f), left: Int32(index + 1),
                            right: Int32(r)))
                }
            }
            trees.append(try ForestTree.checked(nodes: nodes, values: values, classCount: k, fail: treeFail))
        }
        guard cursor == flat.count else { throw fail("has \(flat.count - cursor) numbers after the last tree") }
        try self.init(
            classes: classes, featureCount: featureCount, trees: trees, importance: importance, oob: nil,
            fail: fail)
    }

    private init(
        classes: [Double], featureCount: Int, trees: [ForestTree], importance: [Double], oob: Double?,
        fail: (String) -> TrainError
    ) throws {
        guard !classes.isEmpty else { throw fail("classes must not be empty") }
        for index in 1..<classes.count where !(classes[index - 1] < classes[index]) {
            throw fail("classes must be distinct and ascending")
        }
        guard !trees.isEmpty else { throw fail("a forest needs at least one tree") }
        guard importance.count == featureCount else {
            throw fail("feature_importance has \(importance.count) entries for \(featureCount) features")
        }
        guard importance.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw fail("feature_importance must hold non-negative numbers")
        }
        self.init(
            classes: classes, featureCount: featureCount, trees: trees, featureImportance: importance,
            oobScore: oob)
    }

    /// The index (in the slice's own indices) of the class with probability 1, when every other has 0.
    private static func pureClass(_ probabilities: ArraySlice<Double>) -> Int? {
        guard let pure = probabilities.firstIndex(of: 1), probabilities.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            return nil
        }
        return pure
    }

    private static func numbers(_ value: JSON?, _ key: String, _ fail: (String) -> TrainError) throws -> [Double] {
        guard case .array(let items)? = value else { throw fail("\(key) must be an array of numbers") }
        return try items.map { item in
            guard let number = item.doubleValue, number.isFinite else {
                throw fail("\(key) must be an array of numbers, found \(item.serialized())")
            }
            return number
        }
    }

    private static func count(_ value: JSON?, _ key: String, _ fail: (String) -> TrainError) throws -> Int {
        guard let number = value?.intValue, number >= 1, number <= Int(Int32.max) else {
            throw fail("\(key) must be a positive integer, got \(value?.serialized() ?? "nothing")")
        }
        return number
    }
}

extension ForestTree {
    /// The tree, once its shape is known to be a tree: every child index after its parent's and every node but
    /// the root the child of exactly one node (so every node is reachable and there is no cycle); thresholds
    /// finite; leaf probabilities finite, non-negative and summing to 1.
    static func checked(
        nodes: [Node], values: [Double], classCount k: Int,
        fail: (String) -> TrainError
    ) throws -> ForestTree {
        guard !nodes.isEmpty else { throw fail("has no nodes") }
        var parents = [UInt8](repeating: 0, count: nodes.count)
        for (index, node) in nodes.enumerated() where !node.isLeaf {
            guard node.threshold.isFinite else { throw fail("node \(index): the threshold must be finite") }
            for child in [Int(node.left), Int(node.right)] {
                guard child > index, child < nodes.count else {
                    throw fail("node \(index): child \(child) must be a later node of the tree")
                }
                guard parents[child] == 0 else { throw fail("node \(child) has two parents") }
                parents[child] = 1
            }
        }
        for index in 1..<nodes.count where parents[index] == 0 { throw fail("node \(index) has no parent") }
        for leaf in 0..<(values.count / k) {
            var sum = 0.0
            for c in 0..<k {
                let p = values[leaf * k + c]
                guard p.isFinite, p >= 0, p <= 1 else { throw fail("leaf \(leaf): probabilities must be in [0, 1]") }
                sum += p
            }
            guard abs(sum - 1) <= 1e-6 else { throw fail("leaf \(leaf): probabilities must sum to 1") }
        }
        return ForestTree(nodes: nodes, values: values)
    }
}
