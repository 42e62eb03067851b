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
