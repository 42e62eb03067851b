/// Go's `time.ParseDuration` syntax, which the Parity runner's config used and operators already write:
/// a sequence of decimal numbers, each with an optional fraction and a required unit (`ns`, `us`, `µs`, `ms`,
/// `s`, `m`, `h`), e.g. `300ms`, `1.5h`, `1h30m`, `2m3.5s`; an optional sign; `0` alone needs no unit.
/// A bare number such as `30` is an error, as in Go: the unit is never guessed.
public enum GoDuration {
    /// The duration in nanoseconds, exactly as Go computes it (fractions truncated to the nanosecond).
    public static func nanoseconds(_ text: String) throws(InvalidValue) -> Int64 {
        var s = Array(text.utf8)[...]
        let quoted = "\"\(text)\""
        var negative = false
        if let sign = s.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.elementsEqual("0".utf8) { return 0 }
        guard !s.isEmpty else { throw InvalidValue("invalid duration \(quoted)") }
        var total: UInt64 = 0
        let limit: UInt64 = 1 << 63
        while !s.isEmpty {
            guard let first = s.first, first == .dot || first.isDigit else {
                throw InvalidValue("invalid duration \(quoted)")
            }
            // The integer part.
            var whole: UInt64 = 0
            let before = s.count
            while let digit = s.first, digit.isDigit {
                guard whole <= (limit - 1) / 10 else { throw InvalidValue("invalid duration \(quoted)") }
                whole = whole * 10 + UInt64(digit - UInt8(ascii: "0"))
                guard whole <= limit else { throw InvalidValue("invalid duration \(quoted)") }
                s = s.dropFirst()
            }
            let hasWhole = s.count != before
            // The fraction: digits beyond what fits in 63 bits are read and ignored, as Go does.
            var fraction: UInt64 = 0
            var scale = 1.0
            var hasFraction = false
            if s.first == .dot {
                s = s.dropFirst()
                var overflowed = false
                while let digit = s.first, digit.isDigit {
                    hasFraction = true
                    s = s.dropFirst()
                    if overflowed { continue }
                    if fraction > (limit - 1) / 10 {
                        overflowed = true
                        continue
                    }
                    let next = fraction * 10 + UInt64(digit - UInt8(ascii: "0"))
                    if next > limit {
                        overflowed = true
                        continue
                    }
                    fraction = next
                    scale *= 10
                }
            }
            guard hasWhole || hasFraction else { throw InvalidValue("invalid duration \(quoted)") }
            // The unit: everything up to the next number.
            var unitBytes: [UInt8] = []
            while let byte = s.first, byte != .dot, !byte.isDigit {
                unitBytes.append(byte)
                s = s.dropFirst()
            }
            guard !unitBytes.isEmpty else {
                throw InvalidValue("missing unit in duration \(quoted) (use ns, us, ms, s, m or h, e.g. 30s)")
            }
            let unitName = String(decoding: unitBytes, as: UTF8.self)
            guard let unit = units[unitName] else {
                throw InvalidValue("unknown unit \"\(unitName)\" in duration \(quoted) (use ns, us, ms, s, m or h)")
            }
            guard whole <= limit / unit else { throw InvalidValue("duration \(quoted) is too large") }
            var value = whole * unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                guard value <= limit else { throw InvalidValue("duration \(quoted) is too large") }
            }
            total += value
            guard total <= limit else { throw InvalidValue("duration \(quoted) is too large") }
        }
        if negative { return total == limit ? Int64.min : -Int64(total) }
        guard total <= limit - 1 else { throw InvalidValue("duration \(quoted) is too large") }
        return Int64(total)
    }

    /// The duration in seconds.
    public static func seconds(_ text: String) throws(InvalidValue) -> Double {
        Double(try nanoseconds(text)) / 1e9
    }

    /// Go's `Duration.String()`: `1h30m0s`, `1.5s`, `300ms`, `2µs`, `0s`.
    public static func format(nanoseconds: Int64) -> String {
        var u = nanoseconds.magnitude
        let sign = nanoseconds < 0 ? "-" : ""
        if u == 0 { return "0s" }
        if u < 1_000_000_000 {
            let (precision, unit) =
                u < 1_000 ? (0, "ns") : u < 1_000_000 ? (3, "µs") : (6, "ms")
            let (fractionText, rest) = fraction(u, precision: precision)
            return "\(sign)\(rest)\(fractionText)\(unit)"
        }
        let (fractionText, whole) = fraction(u, precision: 9)
        u = whole
        var out = "\(u % 60)\(fractionText)s"
        u /= 60
        if u > 0 {
            out = "\(u % 60)m" + out
            u /= 60
            if u > 0 { out = "\(u)h" + out }
        }
        return sign + out
    }

    /// Seconds rounded to the nanosecond, in Go's form.
    public static func format(seconds: Double) -> String {
        let nanos = (seconds * 1e9).rounded()
        guard nanos.isFinite, abs(nanos) < 9.2e18 else { return format(nanoseconds: seconds < 0 ? .min : .max) }
        return format(nanoseconds: Int64(nanos))
    }

    /// Splits off the last `precision` decimal digits of `value` as `.ddd` without trailing zeros (Go's fmtFrac).
    private static func fraction(_ value: UInt64, precision: Int) -> (String, UInt64) {
        var value = value
        var digits: [Character] = []
        var printed = false
        for _ in 0..<precision {
            let digit = value % 10
            printed = printed || digit != 0
            if printed { digits.append(Character(String(digit))) }
            value /= 10
        }
        return (printed ? "." + String(digits.reversed()) : "", value)
    }

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]
}

/// A value that does not have the expected form; `reason` says what is wrong in words (no key name:
/// `Settings` adds the key, the flag or the file).
public struct InvalidValue: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension UInt8 {
    fileprivate static let dot = UInt8(ascii: ".")
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
