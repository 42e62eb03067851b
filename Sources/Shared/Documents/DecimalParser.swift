/// Reads JSON number literals into correctly rounded Doubles straight from bytes.
///
/// Three steps, each exact where it answers: Clinger's fast path (at most 2^53 in the digits and |exponent| ≤ 22:
/// one IEEE multiplication or division of two exact values), then Eisel–Lemire (Lemire, "Number parsing at a
/// gigabyte per second", 2021; the code follows Go's `strconv/eisel_lemire.go`), which declines the rare inputs it
/// cannot decide; those, and literals of more than 19 significant digits, go to Swift's `Double(String)` (strtod).
///
/// prty-fetch's CSV `NumberParser` (a looser grammar: `+`, `.5`, `1.`) reuses the pieces: `eightDigits`,
/// `exponent` and `convert`, `@inlinable` so that the conversion specialises into its per-cell loop.
public struct DecimalParser: Sendable {
    @usableFromInline let tables: PowerTables

    public init() { tables = PowerTables.shared }

    /// The result of scanning one literal.
    enum Scan {
        case number(Double, end: Int)
        /// Not a number literal at all (another JSON value, or garbage): the caller decides what to say.
        case notANumber
        /// A number literal that breaks the JSON grammar at byte `at`.
        case malformed(String, at: Int)
        /// A well-formed literal outside Double's range (1e999): `start..<end`.
        case outOfRange(start: Int, end: Int)
    }

    /// Scans the JSON number starting at `start` (`end` bounds the buffer) and converts it.
    @inline(__always)
    func scan(_ bytes: UnsafePointer<UInt8>, from start: Int, end: Int) -> Scan {
        var index = start
        var negative = false
        if index < end && bytes[index] == UInt8(ascii: "-") {
            negative = true
            index &+= 1
        }
        guard index < end, bytes[index] &- UInt8(ascii: "0") < 10 else {
            return negative ? .malformed("expected a digit", at: index) : .notANumber
        }
        var mantissa: UInt64 = 0
        var digits = 0  // digits accumulated in mantissa, leading zeros included
        let integerStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
            if index < end && bytes[index] &- UInt8(ascii: "0") < 10 {
                return .malformed("leading zeros are not allowed in numbers", at: index)
            }
        } else {
            Self.digitRun(bytes, &index, end, into: &mantissa)
        }
        digits = index &- integerStart
        var exponent = 0
        var fractionStart = index
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            fractionStart = index
            Self.digitRun(bytes, &index, end, into: &mantissa)
            if index == fractionStart { return .malformed("expected a digit after '.'", at: index) }
            exponent = fractionStart &- index
            digits &+= index &- fractionStart
        }
        let fractionEnd = index
        if index < end && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            let explicit = Self.exponent(bytes, from: index &+ 1, end: end)
            index = explicit.end
            guard explicit.digits else { return .malformed("expected a digit in the exponent", at: index) }
            exponent &+= explicit.value
        }
        if digits > 19 {
            // Leading zeros (0.000123…) do not count; recount the significant digits before giving up.
            var significant = 0
            var leading = true
            var position = integerStart
            while position < fractionEnd {
                let byte = bytes[position]
                position &+= 1
                if byte == UInt8(ascii: ".") || (leading && byte == UInt8(ascii: "0")) { continue }
                leading = false
                significant &+= 1
            }
            if significant > 19 { return slow(bytes, start: start, end: index) }
        }
        if let value = convert(mantissa, exponent: exponent, negative: negative) {
            return .number(value, end: index)
        }
        return slow(bytes, start: start, end: index)
    }

    /// Appends the digits at `index` to `mantissa` (wrapping past 19 digits: `scan` recounts those), eight at a
    /// time while they run on.
    @inline(__always)
    private static func digitRun(_ bytes: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int,
                                 into mantissa: inout UInt64) {
        while index &+ 8 <= end, let eight = eightDigits(bytes + index) {
            mantissa = mantissa &* 100_000_000 &+ eight
            index &+= 8
        }
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            if digit >= 10 { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index &+= 1
        }
    }

    /// The value of eight ASCII digits at `bytes`, or nil unless all eight are digits (SWAR: one 64-bit load, three
    /// multiplications; Lemire's `parse_eight_digits_unrolled`).
    @inlinable @inline(__always)
    public static func eightDigits(_ bytes: UnsafePointer<UInt8>) -> UInt64? {
        let chunk = UInt64(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self))
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        guard (chunk & high) | (((chunk &+ 0x0606_0606_0606_0606) & high) >> 4) == 0x3333_3333_3333_3333 else {
            return nil
        }
        var value = chunk &- 0x3030_3030_3030_3030
        value = value &* 10 &+ value >> 8
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        value = ((value & mask) &* 0x000F_4240_0000_0064 &+ (value >> 16 & mask) &* 0x0000_2710_0000_0001) >> 32
        return value
    }

    /// The exponent whose optional sign or first digit is at `start` (just past the `e` or `E`), saturating
    /// beyond ±100 000. `end` is where it stops; `digits` is false when no digit follows the sign (`end` is then
    /// just past the sign).
    @inlinable @inline(__always)
    public static func exponent(_ bytes: UnsafePointer<UInt8>, from start: Int, end limit: Int)
        -> (value: Int, end: Int, digits: Bool)
    {
        var index = start
        var negative = false
        if index < limit && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
            negative = bytes[index] == UInt8(ascii: "-")
            index &+= 1
        }
        let digitsStart = index
        var value = 0
        while index < limit {
            let digit = bytes[index] &- UInt8(ascii: "0")
            if digit >= 10 { break }
            if value < 100_000 { value = value &* 10 &+ Int(digit) }
            index &+= 1
        }
        return (negative ? -value : value, index, index > digitsStart)
    }

    /// mantissa · 10^exponent, correctly rounded, or nil when neither fast method can decide: Clinger's exact
    /// step when it applies, else Eisel–Lemire.
    @inlinable @inline(__always)
    public func convert(_ mantissa: UInt64, exponent: Int, negative: Bool) -> Double? {
        if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= tables.exactTens[-exponent] } else { value *= tables.exactTens[exponent] }
            return negative ? -value : value
        }
        return eiselLemire(mantissa, exponent: exponent, negative: negative)
    }

    @inlinable
    func eiselLemire(_ mantissa: UInt64, exponent: Int, negative: Bool) -> Double? {
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard exponent >= PowerTables.minPower && exponent <= 308 else { return nil }
        let leadingZeros = mantissa.leadingZeroBitCount
        let normalized = mantissa &<< UInt64(leadingZeros)
        var binaryExponent = UInt64(bitPattern: Int64(((217_706 &* exponent) >> 16) &+ 64 &+ 1023 &- leadingZeros))
        let index = 2 &* (exponent &- PowerTables.minPower)
        let powerHigh = tables.fivePowers[index], powerLow = tables.fivePowers[index &+ 1]
        var (high, low) = normalized.multipliedFullWidth(by: powerHigh)
        if high & 0x1FF == 0x1FF && low &+ normalized < normalized {
            // The truncated power may have lost a carry: widen with its low 64 bits.
            let (wideHigh, wideLow) = normalized.multipliedFullWidth(by: powerLow)
            var mergedHigh = high
            let mergedLow = low &+ wideHigh
            if mergedLow < low { mergedHigh &+= 1 }
            if mergedHigh & 0x1FF == 0x1FF && mergedLow &+ 1 == 0 && wideLow &+ normalized < normalized {
                return nil
            }
            high = mergedHigh
            low = mergedLow
        }
        let topBit = high >> 63
        var significand = high &>> (topBit &+ 9)
        binaryExponent &-= 1 ^ topBit
        if low == 0 && high & 0x1FF == 0 && significand & 3 == 1 { return nil }  // a halfway case
        significand &+= significand & 1
        significand >>= 1
        if significand >> 53 > 0 {
            significand >>= 1
            binaryExponent &+= 1
        }
        if binaryExponent &- 1 >= 0x7FF &- 1 { return nil }  // subnormal, zero or infinity: strtod decides
        let bits = binaryExponent << 52 | significand & (1 << 52 - 1) | (negative ? 1 << 63 : 0)
        return Double(bitPattern: bits)
    }

    /// The correct answer for everything else, from Swift's own parser (strtod in the C locale).
    private func slow(_ bytes: UnsafePointer<UInt8>, start: Int, end: Int) -> Scan {
        let text = String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return .outOfRange(start: start, end: end) }
        return .number(value, end: end)
    }
}
