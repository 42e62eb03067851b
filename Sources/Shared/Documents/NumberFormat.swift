/// How prty writes a Double: the shortest text that reads back as the same value, with the digits Swift's
/// `description` prints, and integral values below 10^15 without a fraction (`3`, not `3.0`; -0.0 is `0`).
/// One function for every document, so numbers always look the same.
///
/// The digits come from Giulietti's Schubfach algorithm ("The Schubfach way to render doubles", 2021; the code
/// follows OpenJDK's `jdk.internal.math.DoubleToDecimal`), written straight into a caller's buffer: no String per
/// number. Subnormals (below 2.2250738585072014e-308), where Java's variant keeps two digits and Swift's one,
/// and non-finite values take Swift's `description`.
public enum NumberFormat {
    /// The most bytes `write` produces for one number ("-1.2345678901234567e-308" is 24), rounded up.
    public static let maxLength = 32

    public static func shortest(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buffer in
            let count = write(value, to: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(start: buffer.baseAddress!, count: count), as: UTF8.self)
        }
    }

    /// Writes the shortest form of `value` at `out` (room for `maxLength` bytes) and returns the byte count.
    public static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        DoubleWriter().write(value, to: out)
    }
}

/// The writer behind `NumberFormat`, holding the tables so that a loop over many numbers reads them directly.
struct DoubleWriter {
    let tables: PowerTables

    init() { tables = PowerTables.shared }

    func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = Swift.abs(value)
        if magnitude < 1e15 {
            let integer = Int64(value)
            if Double(integer) == value { return writeInteger(integer, to: out) }  // also -0.0 → "0"
        }
        let bits = value.bitPattern
        let biasedExponent = Int(bits >> 52 & 0x7FF)
        guard biasedExponent != 0, biasedExponent != 0x7FF else { return copyDescription(value, to: out) }
        var cursor = out
        if bits >> 63 != 0 {
            cursor.pointee = UInt8(ascii: "-")
            cursor += 1
        }
        let significand = 1 << 52 | bits & (1 << 52 - 1)
        let (digits, exponent) = shortestDecimal(q: biasedExponent - 1075, c: significand)
        return cursor - out + format(digits: digits, exponent: exponent, plain: magnitude <= 0x1p53, to: cursor)
    }

    private func writeInteger(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value == 0 {
            out.pointee = UInt8(ascii: "0")
            return 1
        }
        var cursor = out
        if value < 0 {
            cursor.pointee = UInt8(ascii: "-")
            cursor += 1
        }
        let magnitude = value.magnitude
        let count = digitCount(magnitude)
        writeDigits(magnitude, count: count, to: cursor)
        return cursor - out + count
    }

    /// Schubfach on a normal double v = c · 2^q: the decimal d · 10^k of fewest digits inside v's rounding
    /// interval, the closest to v among those (ties to an even digit). `digits` may end in zeros.
    private func shortestDecimal(q: Int, c: UInt64) -> (digits: UInt64, exponent: Int) {
        let out: UInt64 = c & 1
        let cb = c << 2
        let cbr = cb + 2
        let cbl: UInt64
        let k: Int
        if c != 1 << 52 || q == -1074 {
            cbl = cb - 2  // regular spacing
            k = (q &* 661_971_961_083) >> 41  // floor(q · log10(2))
        } else {
            cbl = cb - 1  // irregular spacing: v is a power of two, its lower neighbour is closer
            k = (q &* 661_971_961_083 &+ -274_743_187_321) >> 41  // floor(log10(3/4 · 2^q))
        }
        let h = q + ((-k) &* 913_124_641_741) >> 38 + 2  // q + floor(-k · log2(10)) + 2
        let index = 2 * (k - PowerTables.schubfachMinK)
        let g1 = tables.schubfach[index], g0 = tables.schubfach[index + 1]
        let vb = roundToOdd(g1, g0, cb &<< UInt64(h))
        let vbl = roundToOdd(g1, g0, cbl &<< UInt64(h))
        let vbr = roundToOdd(g1, g0, cbr &<< UInt64(h))

        let s = vb >> 2
        if s >= 100 {
            // One digit fewer: s' = floor(s / 10) (n = 17, m = 1 in the paper's table of section 10).
            let sp10 = 10 &* s.multipliedFullWidth(by: 115_292_150_460_684_698 << 4).high
            let tp10 = sp10 &+ 10
            let upin = vbl &+ out <= sp10 << 2
            let wpin = (tp10 << 2) &+ out <= vbr
            if upin != wpin { return (upin ? sp10 : tp10, k) }
        }
        let t = s &+ 1
        let uin = vbl &+ out <= s << 2
        let win = (t << 2) &+ out <= vbr
        if uin != win { return (uin ? s : t, k) }
        // Both s and t lie in the interval: the closer one, the even one on a tie.
        let twice = (s &+ t) << 1
        let closerToS = vb < twice || (vb == twice && s & 1 == 0)
        return (closerToS ? s : t, k)
    }

    /// Round-to-odd of g · cp / 2^127 (the paper's section 9.8.3).
    @inline(__always)
    private func roundToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
        let x1 = g0.multipliedFullWidth(by: cp).high
        let y = g1.multipliedFullWidth(by: cp)
        let z = (y.low >> 1) &+ x1
        let vbp = y.high &+ (z >> 63)
        let mask63: UInt64 = 1 << 63 - 1
        return vbp | ((z & mask63) &+ mask63) >> 63
    }

    /// Lays out digits · 10^exponent as Swift's `description` does: plain decimals for 10^-4 ≤ |v| ≤ 2^53
    /// (`0.0001`, `123.5`, `9007199254740992.0`), otherwise `d.ddde±XX` with at least two exponent digits.
    private func format(digits: UInt64, exponent: Int, plain: Bool, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = digits
        var exponent = exponent
        while digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
        let count = digitCount(digits)
        let decimalExponent = count + exponent  // v = 0.d1d2…dn · 10^decimalExponent
        if decimalExponent >= -3 && plain {
            if decimalExponent <= 0 {  // 0.000ddd
                let zeros = -decimalExponent
                out[0] = UInt8(ascii: "0")
                out[1] = UInt8(ascii: ".")
                for index in 0..<zeros { out[2 + index] = UInt8(ascii: "0") }
                writeDigits(digits, count: count, to: out + 2 + zeros)
                return 2 + zeros + count
            }
            if decimalExponent < count {  // ddd.ddd: write the digits one place right, then move the integer part
                writeDigits(digits, count: count, to: out + 1)
                for index in 0..<decimalExponent { out[index] = out[index + 1] }
                out[decimalExponent] = UInt8(ascii: ".")
                return count + 1
            }
            writeDigits(digits, count: count, to: out)  // ddd000.0
            for index in count..<decimalExponent { out[index] = UInt8(ascii: "0") }
            out[decimalExponent] = UInt8(ascii: ".")
            out[decimalExponent + 1] = UInt8(ascii: "0")
            return decimalExponent + 2
        }
        var length: Int
        if count == 1 {
            out[0] = UInt8(ascii: "0") + UInt8(digits)
            length = 1
        } else {
            writeDigits(digits, count: count, to: out + 1)
            out[0] = out[1]
            out[1] = UInt8(ascii: ".")
            length = count + 1
        }
        out[length] = UInt8(ascii: "e")
        var power = decimalExponent - 1
        if power < 0 {
            out[length + 1] = UInt8(ascii: "-")
            power = -power
        } else {
            out[length + 1] = UInt8(ascii: "+")
        }
        length += 2
        if power >= 100 {
            out[length] = UInt8(ascii: "0") + UInt8(power / 100)
            power %= 100
            length += 1
        }
        out[length] = tables.digitPairs[2 * power]
        out[length + 1] = tables.digitPairs[2 * power + 1]
        return length + 2
    }

    /// Decimal digits in `value` (at least 1).
    @inline(__always)
    private func digitCount(_ value: UInt64) -> Int {
        let guess = ((64 - (value | 1).leadingZeroBitCount) &* 1233) >> 12  // floor(bits · log10(2))
        return value >= tables.tenPowers[guess] ? guess + 1 : guess
    }

    /// Writes exactly `count` digits of `value` at `out` (count ≤ 17 here): blocks of eight with 32-bit
    /// arithmetic, whose four pairs do not wait on one another.
    @inline(__always)
    private func writeDigits(_ value: UInt64, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        if count <= 8 {
            writeFew(UInt32(truncatingIfNeeded: value), count: count, to: out)
            return
        }
        let high = value / 100_000_000
        let low = UInt32(truncatingIfNeeded: value &- high &* 100_000_000)
        writeEight(low, to: out + (count &- 8))
        if count <= 16 {
            writeFew(UInt32(truncatingIfNeeded: high), count: count &- 8, to: out)
        } else {
            let top = high / 100_000_000
            writeEight(UInt32(truncatingIfNeeded: high &- top &* 100_000_000), to: out + (count &- 16))
            writeFew(UInt32(truncatingIfNeeded: top), count: count &- 16, to: out)
        }
    }

    /// Exactly eight digits of `value` (< 10^8), leading zeros included.
    @inline(__always)
    private func writeEight(_ value: UInt32, to out: UnsafeMutablePointer<UInt8>) {
        let upper = value / 10_000, lower = value &- upper &* 10_000
        let a = upper / 100, b = upper &- a &* 100, c = lower / 100, d = lower &- c &* 100
        let pairs = UnsafeRawPointer(tables.digitPairs)
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(a) &* 2, as: UInt16.self), toByteOffset: 0,
                       as: UInt16.self)
        raw.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(b) &* 2, as: UInt16.self), toByteOffset: 2,
                       as: UInt16.self)
        raw.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(c) &* 2, as: UInt16.self), toByteOffset: 4,
                       as: UInt16.self)
        raw.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(d) &* 2, as: UInt16.self), toByteOffset: 6,
                       as: UInt16.self)
    }

    /// Exactly `count` (1…8) digits of `value`, two at a time from the right.
    @inline(__always)
    private func writeFew(_ value: UInt32, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        var rest = value
        var end = count
        let pairs = UnsafeRawPointer(tables.digitPairs)
        let raw = UnsafeMutableRawPointer(out)
        while end >= 2 {
            let next = rest / 100
            let pair = rest &- next &* 100
            rest = next
            end &-= 2
            raw.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(pair) &* 2, as: UInt16.self),
                           toByteOffset: end, as: UInt16.self)
        }
        if end == 1 { out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest) }
    }

    /// Subnormals, infinities and NaN: Swift's own text.
    private func copyDescription(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        for byte in value.description.utf8 {
            out[count] = byte
            count += 1
        }
        return count
    }
}
