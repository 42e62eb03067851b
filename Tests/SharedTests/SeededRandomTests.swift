import Testing
@testable import Shared

/// Known answers pin the generator: a change in its output fails here before it can change a partition.
struct SeededRandomTests {
    @Test func splitMix64MatchesReference() {
        // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        var mixer = SplitMix64(state: 1_234_567)
        #expect(mixer.next() == 6_457_827_717_110_365_317)
        #expect(mixer.next() == 3_203_168_211_198_807_973)
        #expect(mixer.next() == 9_817_491_932_198_370_423)
    }

    @Test func xoshiroStreamIsPinned() {
        var random = SeededRandom(seed: 42)
        let first = (0..<3).map { _ in random.next() }
        var again = SeededRandom(seed: 42)
        #expect((0..<3).map { _ in again.next() } == first)
        #expect(first == SeededRandomTests.pinned42)
    }

    /// The first three outputs for seed 42, from the reference C code (xoshiro256starstar.c seeded by
    /// splitmix64.c with x = 42); the test fails if the generator ever changes.
    static let pinned42: [UInt64] = [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009]

    @Test func boundedDrawsStayInRangeAndCoverIt() {
        var random = SeededRandom(seed: 7)
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let value = random.nextInt(below: 10)
            #expect((0..<10).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 10)
    }

    @Test func shuffleIsAPermutationAndDeterministic() {
        var a = SeededRandom(seed: 99), b = SeededRandom(seed: 99)
        let p = a.permutation(100), q = b.permutation(100)
        #expect(p == q)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }
}
