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

    /// The one shuffle's draws, pinned: forward Fisher–Yates over 0..<12 with seed 2026, computed by an
    /// independent Python model of xoshiro256**, Lemire's bounded draw and the forward swap order. Partitions,
    /// validation splits and epoch orders all change if this fails.
    @Test func shuffleDrawsArePinned() {
        var random = SeededRandom(seed: 2026)
        var rows = Array(0..<12)
        random.shuffle(&rows)
        #expect(rows == [6, 4, 10, 11, 2, 1, 3, 0, 7, 9, 8, 5])
    }

    /// `prefix: k` leaves the first k elements exactly as the full shuffle does.
    @Test func shufflePrefixMatchesTheFullShuffle() {
        var random = SeededRandom(seed: 2026)
        var rows = Array(0..<12)
        random.shuffle(&rows, prefix: 4)
        #expect(rows == [6, 4, 10, 11, 1, 5, 0, 7, 8, 9, 2, 3])
        #expect(Array(rows.prefix(4)) == [6, 4, 10, 11])
    }

    @Test func shuffleOfZeroOrOneElementDrawsNothing() {
        var random = SeededRandom(seed: 5), untouched = SeededRandom(seed: 5)
        var none = [Int](), one = [7]
        random.shuffle(&none)
        random.shuffle(&one)
        #expect(none.isEmpty && one == [7])
        #expect(random.next() == untouched.next())
    }
}
