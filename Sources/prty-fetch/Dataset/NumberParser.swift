import Foundation
import Shared

/// Reads a decimal number from CSV bytes, correctly rounded, without making a String.
///
/// Accepts what people and spreadsheets write: `12`, `-3.5`, `+.5`, `1.`, `6.02e23`, `1E-7`. The digits are
/// gathered (eight at a time where they run on, with Shared's `DecimalParser.eightDigits`) into a 64-bit integer
/// w and a power of ten e; up to 19 significant digits go to `DecimalParser.convert` (Clinger's exact step, then
/// Eisel–Lemire), and whatever that cannot decide goes to strtod on a stack copy. The grammar is CSV's, looser
/// than JSON's; the arithmetic is Shared's.
enum NumberParser {
    enum Result: Equatable {
        case number(Double)
        /// Not a number at all (text, an empty cell).
        case notANumber
        /// A number outside Double's range, or `inf`/`nan` spelled out: never a feature value.
        case notFinite
    }

    private static let decimal = DecimalParser()

    /// Parses `bytes[start..<end]`, which holds nothing but the number (already trimmed).
    @inline(__always)
    static func parse(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Result {
        let (result, stop) = scan(bytes, start, end)
        if stop == end { return result }
        return stop == start || result != .notANumber ? special(bytes, start, end) : .notANumber
    }

    /// The digits read so far: at most 19 of them in `mantissa` (leading zeros included, so it cannot overflow),
    /// scaled by 10^`exponent`.
    private struct Digits {
        var mantissa: UInt64 = 0
        var count = 0
        var exponent = 0
        var seen = false
        /// Non-zero digits beyond the 19th were left out: only strtod can decide.
        var dropped = false

        /// Reads the run of digits at `index`; `fraction`: they follow the decimal point.
        @inline(__always)
        mutating func read(_ bytes: UnsafePointer<UInt8>, _ index: inout Int, _ limit: Int, fraction: Bool) {
            while index &+ 8 <= limit && count &+ 8 <= 19, let eight = DecimalParser.eightDigits(bytes + index) {
                mantissa = mantissa &* 100_000_000 &+ eight
                count &+= 8
                if fraction { exponent &-= 8 }
                index &+= 8
                seen = true
            }
            while index < limit {
                let digit = bytes[index] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                seen = true
                if count < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    count &+= 1
                    if fraction { exponent &-= 1 }
                } else {
                    if !fraction { exponent &+= 1 }
                    if digit != 0 { dropped = true }
                }
                index &+= 1
            }
        }
    }

    /// Reads the number that starts at `start` and stops at the first byte that cannot continue it (or at
    /// `limit`). Returns `.notANumber` with `start` when no digit is there.
    @inline(__always)
    static func scan(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ limit: Int) -> (Result, Int) {
        var index = start
        var negative = false
        if index < limit && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
            negative = bytes[index] == UInt8(ascii: "-")
            index &+= 1
        }
        var digits = Digits()
        digits.read(bytes, &index, limit, fraction: false)
        if index < limit && bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            digits.read(bytes, &index, limit, fraction: true)
        }
        guard digits.seen else { return (.notANumber, start) }
        if index < limit && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            let explicit = DecimalParser.exponent(bytes, from: index &+ 1, end: limit)
            guard explicit.digits else { return (.notANumber, explicit.end) }  // "1e" is not a number
            digits.exponent &+= explicit.value
            index = explicit.end
        }
        if !digits.dropped, let value = decimal.convert(digits.mantissa, exponent: digits.exponent, negative: negative) {
            return (value.isFinite ? .number(value) : .notFinite, index)
        }
        return (slow(bytes, start, index), index)
    }

    /// `inf`, `-Infinity`, `nan` and the like: numbers, but never acceptable ones.
    private static func special(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Result {
        var index = start
        if index < end && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) { index &+= 1 }
        guard end - index <= 8 else { return .notANumber }
        var word = [UInt8]()
        while index < end {
            word.append(bytes[index] | 0x20)
            index &+= 1
        }
        switch String(decoding: word, as: UTF8.self) {
        case "inf", "infinity", "nan": return .notFinite
        default: return .notANumber
        }
    }

    /// strtod (C locale) on a NUL-terminated copy: the correct answer for whatever the fast paths leave.
    private static func slow(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Result {
        let count = end - start
        guard count < 4096 else { return .notANumber }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            for offset in 0..<count { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
            buffer[count] = 0
            var stop: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &stop)
            guard let stop, stop == buffer.baseAddress! + count else { return .notANumber }
            return value.isFinite ? .number(value) : .notFinite
        }
    }
}
