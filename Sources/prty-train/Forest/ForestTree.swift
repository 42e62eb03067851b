/// One fitted decision tree of a `RandomForest`, flat: nodes in pre-order (a parent before its left subtree,
/// the left subtree before the right one), so every child index is greater than its parent's.
struct ForestTree: Sendable, Equatable {
    /// An internal node sends a row left when `row[feature] <= threshold`; a leaf has `feature == -1` and `left`
    /// is its index into `values` (`right` is -1).
    struct Node: Sendable, Equatable {
        var threshold: Double
        var feature: Int32
        var left: Int32
        var right: Int32

        var isLeaf: Bool { feature < 0 }
    }

    var nodes: [Node]
    /// Leaf class probabilities, `leafCount × classCount`, in leaf order (the pre-order of the leaves).
    var values: [Double]

    /// The offset in `values` of the leaf that `row` (a pointer to its features) falls into.
    @inline(__always)
    func leafOffset(_ row: UnsafePointer<Double>, classCount: Int, nodes base: UnsafePointer<Node>) -> Int {
        var index = 0
        while true {
            let node = base[index]
            if node.feature < 0 { return Int(node.left) * classCount }
            index = Int(row[Int(node.feature)] <= node.threshold ? node.left : node.right)
        }
    }
}

extension ForestTree {
    /// The tree laid out for prediction: 16 bytes a node, in pre-order with the left child right after its
    /// parent, so a node holds only its right child. A leaf points right to itself with a threshold of −∞, so
    /// a row that reached it stays there: rows then descend without a single branch on the data.
    struct Compact: Sendable {
        struct Node: Sendable {
            var threshold: Double
            var feature: Int32
            var next: Int32
        }

        var nodes: [Node]
        /// For a leaf node, its offset in `values` (−1 for internal nodes).
        var leafOffsets: [Int32]
        var values: [Double]

        init(_ tree: ForestTree, classCount: Int) {
            values = tree.values
            nodes = []
            nodes.reserveCapacity(tree.nodes.count)
            leafOffsets = []
            leafOffsets.reserveCapacity(tree.nodes.count)
            // Renumbered in pre-order (a decoded tree may list its nodes in any order that puts children after
            // parents): internal nodes get their right child's new index once it is known.
            var stack = [(old: 0, parent: -1)]
            while let (old, parent) = stack.popLast() {
                let index = nodes.count
                if parent >= 0 { nodes[parent].next = Int32(index) }
                let node = tree.nodes[old]
                if node.isLeaf {
                    nodes.append(Node(threshold: -.infinity, feature: 0, next: Int32(index)))
                    leafOffsets.append(node.left * Int32(classCount))
                } else {
                    nodes.append(Node(threshold: node.threshold, feature: node.feature, next: -1))
                    leafOffsets.append(-1)
                    stack.append((Int(node.right), index))
                    stack.append((Int(node.left), -1))
                }
            }
        }

        /// Adds the leaf probabilities of `count` rows (indices in `rows`) to `output` (row-major, `classCount`
        /// columns). Eight rows descend in lockstep, so eight node loads are in flight at once; `lanes` is
        /// scratch for their eight node indices.
        func vote(
            rows: UnsafeMutablePointer<Int>, count: Int, features: UnsafePointer<Double>, width: Int,
            into output: UnsafeMutablePointer<Double>, classCount k: Int, lanes at: UnsafeMutablePointer<Int>
        ) {
            nodes.withUnsafeBufferPointer { nodeBuffer in
                values.withUnsafeBufferPointer { valueBuffer in
                    leafOffsets.withUnsafeBufferPointer { offsetBuffer in
                        let nodes = nodeBuffer.baseAddress!
                        let values = valueBuffer.baseAddress!
                        let offsets = offsetBuffer.baseAddress!
                        var group = 0
                        while group < count {
                            let lanes = min(8, count - group)
                            for lane in 0..<lanes { at[lane] = 0 }
                            var moved = true
                            while moved {
                                moved = false
                                for lane in 0..<lanes {
                                    let current = at[lane]
                                    let node = nodes[current]
                                    let x = features + rows[group &+ lane] &* width
                                    // `!(x <= t)` rather than `x > t`: NaN goes right, and stays on a leaf.
                                    // The choice is a mask, not a branch: the direction is a coin toss the
                                    // branch predictor would lose half the time.
                                    let right = !(x[Int(node.feature)] <= node.threshold)
                                    let mask = 0 &- Int(unsafeBitCast(right, to: UInt8.self))
                                    let left = current &+ 1
                                    let next = left ^ ((Int(node.next) ^ left) & mask)
                                    at[lane] = next
                                    moved = moved || next != current
                                }
                            }
                            for lane in 0..<lanes {
                                let leaf = values + Int(offsets[at[lane]])
                                let sum = output + rows[group &+ lane] &* k
                                for c in 0..<k { sum[c] += leaf[c] }
                            }
                            group &+= lanes
                        }
                    }
                }
            }
        }
    }
}
