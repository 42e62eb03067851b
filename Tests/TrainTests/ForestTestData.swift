import Shared

@testable import prty_train

/// Small seeded datasets and helpers for the random-forest tests.
enum ForestTestData {
    static let quiet = Log(tool: "prty-train", minimum: .error)

    /// `rows` points in [-1, 1]^width; the label is the quadrant of (x0, x1): four classes, perfectly separable
    /// by axis-aligned splits. The other features are noise.
    static func quadrants(rows: Int, width: Int = 4, seed: UInt64 = 1) -> Dataset {
        var random = SeededRandom(seed: seed)
        var features = [Double]()
        var labels = [Double]()
        for _ in 0..<rows {
            let row = (0..<width).map { _ in random.nextUnit() * 2 - 1 }
            features += row
            labels.append(Double((row[0] > 0 ? 1 : 0) + (row[1] > 0 ? 2 : 0)))
        }
        return Dataset(features: features, width: width, labels: labels, task: .classification, classes: [0, 1, 2, 3])
    }

    /// Three classes from a linear score of the first `informative` features plus Gaussian noise; the remaining
    /// features are pure noise, and `flip` of the labels are replaced at random.
    static func informative(rows: Int, width: Int, informative: Int, flip: Double = 0, seed: UInt64 = 2) -> Dataset {
        var random = SeededRandom(seed: seed)
        var features = [Double]()
        var labels = [Double]()
        for _ in 0..<rows {
            let row = (0..<width).map { _ in random.nextGaussian() }
            features += row
            var score = 0.0
            for feature in 0..<informative { score += row[feature] * Double(informative - feature) }
            var label = score < -1 ? 0.0 : (score < 1 ? 1.0 : 2.0)
            if random.nextUnit() < flip { label = Double(random.nextInt(below: 3)) }
            labels.append(label)
        }
        return Dataset(features: features, width: width, labels: labels, task: .classification, classes: [0, 1, 2])
    }

    static func config(
        _ data: Dataset, _ values: [String: JSON] = [:], seed: UInt64 = 7,
        caps: TrainCaps = .defaults
    ) throws -> ForestConfig {
        let section = try ConfigSection(name: "model_config", values, known: ForestConfig.keys)
        return try ForestConfig(section, classes: data.classes, featureCount: data.width, seed: seed, caps: caps)
    }

    static func fit(_ data: Dataset, _ values: [String: JSON] = [:], seed: UInt64 = 7, threads: Int = 2) throws
        -> RandomForest
    {
        try RandomForest.fit(data, config: config(data, values, seed: seed), log: quiet, threads: threads)
    }

    static func accuracy(_ forest: RandomForest, _ data: Dataset) -> Double {
        let predicted = forest.predict(data)
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(data.count)
    }

    /// Depth of every leaf (the root is depth 0).
    static func leafDepths(_ tree: ForestTree) -> [Int] {
        var depths = [Int]()
        var stack = [(0, 0)]
        while let (index, depth) = stack.popLast() {
            let node = tree.nodes[index]
            if node.isLeaf {
                depths.append(depth)
            } else {
                stack.append((Int(node.left), depth + 1))
                stack.append((Int(node.right), depth + 1))
            }
        }
        return depths
    }

    /// How many rows of `data` reach each leaf of `tree`, by leaf index.
    static func leafRowCounts(_ tree: ForestTree, _ data: Dataset, classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: tree.values.count / classCount)
        data.features.withUnsafeBufferPointer { features in
            tree.nodes.withUnsafeBufferPointer { nodes in
                for row in 0..<data.count {
                    let offset = tree.leafOffset(
                        features.baseAddress! + row * data.width, classCount: classCount,
                        nodes: nodes.baseAddress!)
                    counts[offset / classCount] += 1
                }
            }
        }
        return counts
    }
}
