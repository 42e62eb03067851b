import Shared

extension RandomForest {
    /// The forests' trees concatenated in argument order; importance (and the out-of-bag score, when every forest
    /// has one) averaged with weights `dataSizes`. All forests must share classes and feature count
    /// (`checkUnion` says which does not).
    static func union(_ forests: [RandomForest], dataSizes: [Int]) -> RandomForest {
        precondition(!forests.isEmpty && forests.count == dataSizes.count, "one data size per forest")
        let featureCount = forests[0].featureCount
        let totalSize = dataSizes.reduce(0, +)
        var importance = [Double](repeating: 0, count: featureCount)
        var oob: Double? = 0
        for (forest, size) in zip(forests, dataSizes) {
            let weight = totalSize > 0 ? Double(size) / Double(totalSize) : 1 / Double(forests.count)
            for feature in 0..<featureCount { importance[feature] += weight * forest.featureImportance[feature] }
            if let score = forest.oobScore, let sum = oob { oob = sum + weight * score } else { oob = nil }
        }
        // A forest without label counts (an older document) still counts as one member, so trees stay attributed.
        let members = forests.flatMap { forest in
            forest.members.isEmpty ? [Member(trees: forest.trees.count, labelCounts: [])] : forest.members
        }
        return RandomForest(
            classes: forests[0].classes, featureCount: featureCount,
            trees: forests.flatMap(\.trees), featureImportance: importance, oobScore: oob, members: members,
            voting: forests[0].voting)
    }

    /// Throws when the forests cannot be united: none, or differing classes or feature counts.
    static func checkUnion(_ forests: [RandomForest]) throws {
        guard let first = forests.first else { throw TrainError.data("no random forests to aggregate") }
        for (index, forest) in forests.enumerated().dropFirst() {
            guard forest.classes == first.classes else {
                throw TrainError.data(
                    "random forest \(index + 1) has classes \(forest.classes.map(NumberFormat.shortest)) "
                        + "but forest 1 has \(first.classes.map(NumberFormat.shortest)); only forests of one dataset unite"
                )
            }
            guard forest.featureCount == first.featureCount else {
                throw TrainError.data(
                    "random forest \(index + 1) has \(forest.featureCount) features but forest 1 "
                        + "has \(first.featureCount); only forests of one dataset unite")
            }
        }
    }
}
