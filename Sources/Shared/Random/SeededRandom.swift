import Foundation

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64: the one PRNG of prty. Never the standard
/// library's generators, whose output may change between Swift releases; known-answer tests pin this one.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound, without modulo bias (Lemire's multiply-shift with rejection).
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A standard normal draw (Box–Muller; the second value is discarded so the stream stays simple).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUnit()
        while u1 == 0 { u1 = nextUnit() }
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Fisher–Yates in its forward form, the one shuffle of every tool: for i in 0..<n−1, swap element i with
    /// one drawn from i..<n (`i + nextInt(below: n − i)`). Going forward, the first k elements are final after
    /// k steps, so `prefix: k` gives exactly the first k elements of the full shuffle (what a partition's
    /// overlap needs from a neighbour's part, without shuffling all of it). Inlinable so that each caller's
    /// element type is specialised: a generic call through value witnesses costs a quarter of a 100,000-row
    /// partition.
    @inlinable
    public mutating func shuffle<Element>(_ buffer: UnsafeMutableBufferPointer<Element>, prefix: Int? = nil) {
        let count = buffer.count
        guard count > 1 else { return }
        for i in 0..<min(max(prefix ?? count, 0), count - 1) {
            let j = i + nextInt(below: count - i)
            if i != j { buffer.swapAt(i, j) }
        }
    }

    /// `shuffle(_:prefix:)` over an array, in place.
    @inlinable
    public mutating func shuffle<Element>(_ items: inout [Element], prefix: Int? = nil) {
        items.withUnsafeMutableBufferPointer { shuffle($0, prefix: prefix) }
    }

    /// A random permutation of 0..<count.
    public mutating func permutation(_ count: Int) -> [Int] {
        var indices = Array(0..<count)
        shuffle(&indices)
        return indices
    }

    /// An independent generator for a numbered sub-task (a tree, a participant), so parallel work is
    /// reproducible whatever the order it runs in.
    public func derived(_ index: UInt64) -> SeededRandom {
        var mixer = SplitMix64(state: s0 ^ (index &* 0x9E37_79B9_7F4A_7C15))
        return SeededRandom(seed: mixer.next() ^ s3)
    }
}

/// SplitMix64 (Steele, Lea & Flood): expands one 64-bit seed into xoshiro's state.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inlinable @inline(__always) func rotatedLeft(_ count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
