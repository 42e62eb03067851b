import Testing

@testable import Shared
@testable import prty_partition

/// Counts in, rows out: every strategy's counts, and the one dealing pass that turns counts into parts.
struct AllocationTests {
    @Test func dealGivesEachGroupExactlyItsCounts() {
        // Rows alternate between groups 0 and 1; row 4 is skipped (held out).
        let groupOf: [Int32] = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
        var skip = [Bool](repeating: false, count: 10)
        skip[4] = true
        let allocation = Allocation(counts: [[1, 3], [2, 3]], shuffled: true)
        var random = SeededRandom(seed: 3)
        let parts = allocation.deal(rows: 10, groupOf: groupOf, skip: skip, using: &random)
        #expect(parts[4] == -1)
        for group in 0..<2 {
            let dealt = (0..<10).filter { groupOf[$0] == group && !skip[$0] }.map { parts[$0] }
            #expect(dealt.filter { $0 == 0 }.count == allocation.counts[group][0])
            #expect(dealt.filter { $0 == 1 }.count == allocation.counts[group][1])
        }
        #expect(allocation.bucketSizes == [3, 6])
    }

    /// The bucket numbers are shuffled in the narrowest integer that fits; the result must not depend on it.
    @Test func theWidthOfTheBucketVectorDoesNotChangeTheDeal() {
        let groupOf = (0..<500).map { Int32($0 % 3) }
        let allocation = Allocation(counts: [[50, 60, 57], [40, 70, 57], [0, 100, 66]], shuffled: true)
        var a = SeededRandom(seed: 4)
        var b = SeededRandom(seed: 4)
        var c = SeededRandom(seed: 4)
        let narrow = allocation.deal(UInt8.self, rows: 500, groupOf: groupOf, skip: nil, using: &a)
        let middle = allocation.deal(UInt16.self, rows: 500, groupOf: groupOf, skip: nil, using: &b)
        let wide = allocation.deal(UInt32.self, rows: 500, groupOf: groupOf, skip: nil, using: &c)
        #expect(narrow == middle && middle == wide)
        var d = SeededRandom(seed: 4)
        #expect(allocation.deal(rows: 500, groupOf: groupOf, skip: nil, using: &d) == narrow)
    }

    @Test func unshuffledDealsContiguousSlicesInInputOrder() {
        var random = SeededRandom(seed: 1)
        let parts = Allocation(counts: [[3, 2, 2]], shuffled: false).deal(
            rows: 7, groupOf: nil, skip: nil,
            using: &random)
        #expect(parts == [0, 0, 0, 1, 1, 2, 2])
    }

    @Test func evenCountsPutTheRemainderFirst() {
        #expect(Allocation.even(10, into: 3) == [4, 3, 3])
        #expect(Allocation.even(2, into: 4) == [1, 1, 0, 0])
        #expect(Allocation.even(0, into: 2) == [0, 0])
    }

    @Test func stratifiedRotatesTheLeftovers() {
        // Class leftovers 1, 2, 1: parts 0 | 1, 2 | 0 — per-class and total counts within one of each other.
        #expect(Strategy.stratified([4, 5, 4], parts: 3) == [[2, 1, 1], [1, 2, 2], [2, 1, 1]])
    }

    @Test func labelSkewCounts() {
        // Five classes, two parts: classes 0–2 to part 0, 3–4 to part 1.
        #expect(LabelSkew.counts([1, 2, 3, 4, 5], parts: 2) == [[1, 0], [2, 0], [3, 0], [0, 4], [0, 5]])
        // Two classes, five parts: class 0 split over parts 0–2, class 1 over parts 3–4.
        #expect(LabelSkew.counts([7, 4], parts: 5) == [[3, 2, 2, 0, 0], [0, 0, 0, 2, 2]])
    }
}
