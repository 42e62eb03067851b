import Foundation
import Shared

/// Reads a decimal number from CSV bytes, correctly rounded, without making a String.
///
/// Accepts what people and spreadsheets write: `12`, `-3.5`, `+.5`, `1.`, `6.02e23`, `1E-7`. The digits are
/// gathered (eight at a time where they run on) into a 64-bit integer w and a power of ten e; w ≤ 2^53 with |e| ≤ 22 takes Clinger's fast path
/// (one exact IEEE operation), other values up to 19 significant digits go to Shared's `DecimalParser`
/// (Eisel–Lemire), and whatever neither can decide goes to strtod on a stack copy.
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
        var mantissa: UInt64 = 0
        var digits = 0  // digits in mantissa, leading zeros included: at most 19, so it cannot overflow
        var exponent = 0
        var sawDigit = false
        var dropped = false  // non-zero digits beyond the 19th were left out: only strtod can decide
        while index &+ 8 <= limit && digits &+ 8 <= 19, let eight = eightDigits(bytes + index) {
            mantissa = mantissa &* 100_000_000 &+ eight
            digits &+= 8
            index &+= 8
            sawDigit = true
        }
        while index < limit {
            let digit = bytes[index] &- UInt8(ascii: "0")
            if digit >= 10 { break }
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits &+= 1
            } else {
                exponent &+= 1
                if digit != 0 { dropped = true }
            }
            index &+= 1
        }
        if index < limit && bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            while index &+ 8 <= limit && digits &+ 8 <= 19, let eight = eightDigits(bytes + index) {
                mantissa = mantissa &* 100_000_000 &+ eight
                digits &+= 8
                exponent &-= 8
                index &+= 8
                sawDigit = true
            }
            while index < limit {
                let digit = bytes[index] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    digits &+= 1
                    exponent &-= 1
                } else if digit != 0 {
                    dropped = true
                }
                index &+= 1
            }
        }
        guard sawDigit else { return (.notANumber, start) }
        if index < limit && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            var cursor = index &+ 1
            var negativeExponent = false
            if cursor < limit && (bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-")) {
                negativeExponent = bytes[cursor] == UInt8(ascii: "-")
                cursor &+= 1
            }
            let digitsStart = cursor
            var explicit = 0
            while cursor < limit {
                let digit = bytes[cursor] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                if explicit < 100_000 { explicit = explicit &* 10 &+ Int(digit) }
                cursor &+= 1
            }
            guard cursor > digitsStart else { return (.notANumber, cursor) }  // "1e" is not a number
            exponent &+= negativeExponent ? -explicit : explicit
            index = cursor
        }
        if !dropped {
            if mantissa == 0 { return (.number(negative ? -0.0 : 0.0), index) }
            if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
                var value = Double(mantissa)
                if exponent < 0 { value /= tens[-exponent] } else { value *= tens[exponent] }
                return (.number(negative ? -value : value), index)
            }
            if let value = decimal.convert(mantissa, exponent: exponent, negative: negative) {
                return (value.isFinite ? .number(value) : .notFinite, index)
            }
        }
        return (slow(bytes, start, index), index)
    }

    /// Eight ASCII digits at `pointer` as their value, or nil when any of the eight is not a digit (fast_float's
    /// `parse_eight_digits_unrolled`: three multiplications instead of eight steps).
    @inline(__always)
    private static func eightDigits(_ pointer: UnsafePointer<UInt8>) -> UInt64? {
        let word = UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
        guard word & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
            (word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
        else { return nil }
        var value = word &- 0x3030_3030_3030_3030
        value = value &* 10 &+ (value >> 8)
        let low = (value & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
        let high = ((value >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))
        return (low &+ high) >> 32
    }

    @inline(__always)
    private static var tens: UnsafePointer<Double> { exactTens.table }

    /// 10^0 … 10^22, all exact in a Double. Written once, never freed: safe to read from any thread.
    private static let exactTens = ExactTens()

    private final class ExactTens: Sendable {
        nonisolated(unsafe) let table: UnsafePointer<Double>
        init() {
            let table = UnsafeMutablePointer<Double>.allocate(capacity: 23)
            var power = 1.0
            for index in 0..<23 {
                table[index] = power
                power *= 10
            }
            self.table = UnsafePointer(table)
        }
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
