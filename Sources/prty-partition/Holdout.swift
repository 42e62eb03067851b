import Shared

/// The held-out split, made before any partitioning so that the evaluation rows are the same for every participant
/// and never trained on. Classification: stratified — each class gives its share of the ⌊f·N⌉ test rows
/// (largest remainders, ties to the earlier class, all in integers), chosen by a seeded shuffle of the class.
/// Regression: a seeded shuffle of all rows.
enum Holdout {
    /// Splits rows `0..<count` into training and test rows, both ascending.
    static func split(count: Int, classRows: [[Int]], fraction: Double, using random: inout SeededRandom)
        -> (train: [Int], test: [Int])
    {
        guard fraction > 0, count > 0 else { return (Array(0..<count), []) }
        let testCount = min(Int((fraction * Double(count)).rounded()), count)
        var isTest = [Bool](repeating: false, count: count)
        if classRows.isEmpty {
            var rows = Array(0..<count)
            random.shuffle(&rows)
            for row in rows.prefix(testCount) { isTest[row] = true }
        } else {
            for (klass, quota) in quotas(testCount, sizes: classRows.map(\.count), total: count).enumerated() {
                var rows = classRows[klass]
                random.shuffle(&rows)
                for row in rows.prefix(quota) { isTest[row] = true }
            }
        }
        var train = [Int](), test = [Int]()
        train.reserveCapacity(count - testCount)
        test.reserveCapacity(testCount)
        for row in 0..<count {
            if isTest[row] { test.append(row) } else { train.append(row) }
        }
        return (train, test)
    }

    /// `amount` shared among classes of `sizes` in proportion (Hamilton's largest-remainder method, exact in
    /// integers): ⌊amount·n_c/total⌋ each, the leftover one by one to the largest remainders, earlier class first.
    static func quotas(_ amount: Int, sizes: [Int], total: Int) -> [Int] {
        guard total > 0 else { return sizes.map { _ in 0 } }
        var quotas = sizes.map { amount * $0 / total }
        let remainders = sizes.map { amount * $0 % total }
        let leftover = amount - quotas.reduce(0, +)
        let order = remainders.indices.sorted {
            remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1
        }
        for klass in order.prefix(leftover) { quotas[klass] += 1 }
        return quotas
    }
}
