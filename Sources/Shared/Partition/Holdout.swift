/// The held-out split, made before any partitioning so that the evaluation rows are the same for every participant
/// and never trained on. Classification: stratified — each class gives its share of the ⌊f·N⌉ test rows
/// (largest remainders, ties to the earlier class, all in integers), chosen at random within the class.
/// Regression: ⌊f·N⌉ rows chosen at random.
enum Holdout {
    struct Split: Sendable {
        /// `isTest[row]`; nil when nothing is held out.
        var isTest: [Bool]?
        /// The test rows, ascending.
        var test: [Int]
        /// How many test rows each group (class, or all rows for regression) gave.
        var testCounts: [Int]
    }

    /// Splits rows `0..<rows` whose groups (`groupOf`, nil for one group) have `groupSizes` rows.
    static func split(
        rows: Int, groupOf: [Int32]?, groupSizes: [Int], fraction: Double,
        using random: inout SeededRandom
    ) -> Split {
        let testCount = min(Int((fraction * Double(rows)).rounded()), rows)
        let quotas = quotas(testCount, sizes: groupSizes, total: rows)
        guard testCount > 0 else { return Split(isTest: nil, test: [], testCounts: quotas) }
        let allocation = Allocation(counts: zip(groupSizes, quotas).map { [$0 - $1, $1] }, shuffled: true)
        let side = allocation.deal(rows: rows, groupOf: groupOf, skip: nil, using: &random)
        let isTest = side.map { $0 == 1 }
        var test = [Int]()
        test.reserveCapacity(testCount)
        for row in 0..<rows where isTest[row] { test.append(row) }
        return Split(isTest: isTest, test: test, testCounts: quotas)
    }

    /// `amount` shared among groups of `sizes` in proportion (Hamilton's largest-remainder method, exact in
    /// integers): ⌊amount·n_c/total⌋ each, the leftover one by one to the largest remainders, earlier group first.
    static func quotas(_ amount: Int, sizes: [Int], total: Int) -> [Int] {
        guard total > 0 else { return sizes.map { _ in 0 } }
        var quotas = sizes.map { amount * $0 / total }
        let remainders = sizes.map { amount * $0 % total }
        let leftover = amount - quotas.reduce(0, +)
        let order = remainders.indices.sorted {
            remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1
        }
        for group in order.prefix(leftover) { quotas[group] += 1 }
        return quotas
    }
}
