/// The constant tables behind fast number conversion, computed once (about a millisecond) with exact integer
/// arithmetic rather than pasted in as 1,300 hex literals:
/// - `fivePowers`: for each e in `minPower...maxPower`, the 128 most significant bits of 5^e (the mantissa of
///   10^e), rounded down, as (high, low). Eisel–Lemire reads it (as Go's `detailedPowersOfTen`, fast_float's
///   `power_of_five_128`).
/// - `schubfach`: for each k in `schubfachMinK...schubfachMaxK`, g = floor(10^-k · 2^-r) + 1 with r chosen so
///   that 2^125 ≤ 10^-k · 2^-r < 2^126, split into its high and low 63 bits (g1, g0), as Giulietti's Schubfach
///   (`jdk.internal.math.MathUtils`) needs.
/// - `digitPairs`: "00" "01" … "99" as ASCII; `tenPowers`: 10^0 … 10^19; `exactTens`: 1e0 … 1e22, the powers of
///   ten a Double holds exactly.
///
/// Shared by every thread: the memory is written only in `init` and never freed, so reading it is safe anywhere.
/// `@usableFromInline` where `DecimalParser.convert` reads it, so prty-fetch's CSV numbers inline the conversion.
@usableFromInline
final class PowerTables: @unchecked Sendable {
    @usableFromInline static let shared = PowerTables()

    @usableFromInline static let minPower = -342
    static let maxPower = 324
    static let schubfachMinK = -324
    static let schubfachMaxK = 292

    @usableFromInline let fivePowers: UnsafePointer<UInt64>
    let schubfach: UnsafePointer<UInt64>
    let digitPairs: UnsafePointer<UInt8>
    let tenPowers: UnsafePointer<UInt64>
    @usableFromInline let exactTens: UnsafePointer<Double>

    private init() {
        let count = Self.maxPower - Self.minPower + 1
        let five = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * count)
        // e ≥ 0: 5^e exactly, by repeated multiplication.
        var power = BigNumber(1)
        for e in 0...Self.maxPower {
            if e > 0 { power.multiply(by: 5) }
            let (high, low) = power.top128()
            five[2 * (e - Self.minPower)] = high
            five[2 * (e - Self.minPower) + 1] = low
        }
        // e < 0: floor(2^1280 / 5^-e) by repeated division; nested floors equal the floor of the real quotient,
        // and 1280 bits leave more than 480 significant bits at 5^342.
        var reciprocal = BigNumber(powerOfTwo: 1280)
        for e in stride(from: -1, through: Self.minPower, by: -1) {
            reciprocal.divide(by: 5)
            let (high, low) = reciprocal.top128()
            five[2 * (e - Self.minPower)] = high
            five[2 * (e - Self.minPower) + 1] = low
        }
        fivePowers = UnsafePointer(five)

        // Schubfach's g for k is built from 10^-k, whose mantissa is that of 5^-k: floor(β) is the top 126 of the
        // 128 bits (a floor of a floor). NumberFormatTests checks rows of both tables against exact arithmetic.
        let kCount = Self.schubfachMaxK - Self.schubfachMinK + 1
        let g = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * kCount)
        for k in Self.schubfachMinK...Self.schubfachMaxK {
            let index = 2 * (-k - Self.minPower)
            let high = five[index], low = five[index + 1]
            // (high:low) >> 2, plus one.
            var g1 = high >> 2
            var g0 = (high << 62 | low >> 2)
            g0 &+= 1
            if g0 == 0 { g1 += 1 }
            // Split the 126-bit g into 63 + 63 bits.
            let upper = g1 << 1 | g0 >> 63
            let lower = g0 & (1 << 63 - 1)
            g[2 * (k - Self.schubfachMinK)] = upper
            g[2 * (k - Self.schubfachMinK) + 1] = lower
        }
        schubfach = UnsafePointer(g)

        let pairs = UnsafeMutablePointer<UInt8>.allocate(capacity: 200)
        for value in 0..<100 {
            pairs[2 * value] = UInt8(ascii: "0") + UInt8(value / 10)
            pairs[2 * value + 1] = UInt8(ascii: "0") + UInt8(value % 10)
        }
        digitPairs = UnsafePointer(pairs)

        let tens = UnsafeMutablePointer<UInt64>.allocate(capacity: 20)
        var ten: UInt64 = 1
        for index in 0..<20 {
            tens[index] = ten
            if index < 19 { ten *= 10 }
        }
        tenPowers = UnsafePointer(tens)

        let exact = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        let literals: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]
        exact.initialize(from: literals, count: 23)
        exactTens = UnsafePointer(exact)
    }
}

/// A non-negative integer of any size, little-endian 32-bit limbs: just enough arithmetic to build the tables.
struct BigNumber {
    private(set) var limbs: [UInt32]

    init(_ value: UInt32) { limbs = [value] }

    init(powerOfTwo exponent: Int) {
        limbs = [UInt32](repeating: 0, count: exponent / 32 + 1)
        limbs[exponent / 32] = 1 << UInt32(exponent % 32)
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
    }

    mutating func divide(by divisor: UInt32) {
        var remainder: UInt64 = 0
        for index in limbs.indices.reversed() {
            let current = remainder << 32 | UInt64(limbs[index])
            limbs[index] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
    }

    var bitWidth: Int {
        guard let top = limbs.lastIndex(where: { $0 != 0 }) else { return 0 }
        return top * 32 + (32 - limbs[top].leadingZeroBitCount)
    }

    func bit(_ index: Int) -> UInt64 {
        guard index >= 0, index / 32 < limbs.count else { return 0 }
        return UInt64(limbs[index / 32] >> UInt32(index % 32) & 1)
    }

    /// The 128 most significant bits, the top one set, rounded down (zeros shifted in below a short number).
    func top128() -> (high: UInt64, low: UInt64) {
        let width = bitWidth
        var high: UInt64 = 0, low: UInt64 = 0
        for offset in 0..<128 {
            let value = bit(width - 1 - offset)
            if offset < 64 { high |= value << UInt64(63 - offset) } else { low |= value << UInt64(127 - offset) }
        }
        return (high, low)
    }
}
