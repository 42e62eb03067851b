import Foundation
import Testing
@testable import Shared

/// Both directions of number text: `NumberFormat` (Schubfach) must print exactly what the description-based
/// reference prints, and `DecimalParser` (Clinger, Eisel–Lemire) must read exactly what `Double(String)` (strtod)
/// reads, on millions of random and tricky inputs.
struct NumberFormatTests {
    /// The convention `NumberFormat` keeps: Swift's `description` digits, integral values below 10^15 as integers.
    static func reference(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return value == 0 ? "0" : String(Int64(value)) }
        return value.description
    }

    /// Millions in an optimised build (`make test`), fewer in a debug one.
    #if DEBUG
    static let randomCount = 20_000
    #else
    static let randomCount = 3_000_000
    #endif

    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (0.1, "0.1"), (-2.5, "-2.5"), (100, "100"),
        (123.456, "123.456"), (1 / 3, "0.3333333333333333"), (0.0001, "0.0001"), (0.00012345, "0.00012345"),
        (1e-5, "1e-05"), (999_999_999_999_999, "999999999999999"), (1e15, "1000000000000000.0"),
        (9_007_199_254_740_992, "9007199254740992.0"), (9_007_199_254_740_994, "9.007199254740994e+15"),
        (1e16, "1e+16"), (1e22, "1e+22"), (1e23, "1e+23"), (1.5e300, "1.5e+300"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (2.2250738585072014e-308, "2.2250738585072014e-308"),
        (.leastNonzeroMagnitude, "5e-324"), (-1.2345678901234567e-300, "-1.2345678901234568e-300"), (0.3, "0.3"),
        (2.0 / 3.0, "0.6666666666666666"), (1e15 + 0.5, "1000000000000000.5"),
    ] as [(Double, String)])
    func knownValues(value: Double, text: String) {
        #expect(NumberFormat.shortest(value) == text)
    }

    @Test func nonFiniteValuesKeepSwiftsText() {
        #expect(NumberFormat.shortest(.nan) == "nan")
        #expect(NumberFormat.shortest(.infinity) == "inf")
        #expect(NumberFormat.shortest(-.infinity) == "-inf")
    }

    @Test func everyPowerOfTwoAndTenMatches() {
        var mismatches: [Double] = []
        for exponent in -1074...1023 {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            for value in [power, power.nextUp, power.nextDown, -power] where value.isFinite {
                if NumberFormat.shortest(value) != Self.reference(value) { mismatches.append(value) }
            }
        }
        for exponent in -323...308 {
            let value = Double("1e\(exponent)")!
            for candidate in [value, value.nextUp, value.nextDown] where candidate.isFinite {
                if NumberFormat.shortest(candidate) != Self.reference(candidate) { mismatches.append(candidate) }
            }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    /// Random bit patterns (every binade, subnormals included), uniform values like a dataset's, and short
    /// decimals: the same text as the reference, never longer than `maxLength`, reading back to the same bits.
    @Test func randomDoublesMatchTheReferenceAndRoundTrip() {
        var random = SeededRandom(seed: 20_240_601)
        var mismatches: [UInt64] = []
        var roundTripFailures: [UInt64] = []
        for round in 0..<Self.randomCount {
            let bits = random.next()
            let value: Double
            switch round % 4 {
            case 0: value = Double(bitPattern: bits)
            case 1: value = Double(bits >> 11) / 9_007_199_254_740_992 * 10 - 5
            case 2: value = Double(Int64(bitPattern: bits) >> 24) / 1e6
            default: value = Double(bits % 1_000_000) * pow(10, Double(Int(random.next() % 40) - 20))
            }
            guard value.isFinite else { continue }
            let text = NumberFormat.shortest(value)
            if text != Self.reference(value) || text.utf8.count > 24 { mismatches.append(value.bitPattern) }
            guard let back = Double(text), back == value, value == 0 || back.sign == value.sign else {
                roundTripFailures.append(value.bitPattern)
                continue
            }
        }
        #expect(mismatches.isEmpty, "bit patterns: \(mismatches.prefix(5))")
        #expect(roundTripFailures.isEmpty, "bit patterns: \(roundTripFailures.prefix(5))")
    }

    /// The text never carries more significant digits than Swift's shortest `description`.
    @Test func neverMoreDigitsThanDescription() {
        var random = SeededRandom(seed: 7)
        func significantDigits(_ text: String) -> Int {
            let mantissa = text.split(separator: "e")[0]
            let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
            return max(1, digits.reversed().drop { $0 == "0" }.count)
        }
        for _ in 0..<Self.randomCount / 10 {
            let value = Double(bitPattern: random.next())
            guard value.isFinite, value != 0 else { continue }
            #expect(significantDigits(NumberFormat.shortest(value)) <= significantDigits(value.description))
        }
    }

    // MARK: Parsing

    static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Double? in
            switch DecimalParser().scan(buffer.baseAddress!, from: 0, end: buffer.count) {
            case .number(let value, let end): return end == buffer.count ? value : nil
            case .outOfRange: return .infinity
            case .notANumber, .malformed: return nil
            }
        }
    }

    static func agrees(_ text: String) -> Bool {
        guard let expected = Double(text), let parsed = parse(text) else { return false }
        if expected.isInfinite { return parsed.isInfinite }
        return parsed.bitPattern == expected.bitPattern
    }

    @Test(arguments: [
        "0", "-0", "1", "-1", "0.1", "0.3", "1e23", "8.98846567431158e307", "1e308", "1.7976931348623157e308",
        "1.7976931348623158e308",  // rounds down to the largest finite double
        "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308", "4.9e-324", "5e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "0e999", "-0.0e-100",
        "9007199254740993", "9007199254740992.5", "9007199254740993.0000000001",
        "1.00000000000000011102230246251565404236316680908203125",  // exactly halfway between 1 and 1 + 2^-52
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "0.000000000000000000000000000000000000000000001234567890123456789012",
        "123456789012345678901234567890", "18446744073709551615", "18446744073709551616", "7.2057594037927933e16",
        "1E5", "1e+5", "1e-5", "3.0e-1", "100000000000000000000000", "4503599627370496.5", "4503599627370497.5",
    ])
    func trickyLiteralsReadLikeStrtod(text: String) {
        #expect(Self.agrees(text))
    }

    @Test func outOfRangeLiteralsAreReported() {
        let twoToThe1024 = "179769313486231590772930519078902473361797697894230657273430081157732675805500963132708477"
            + "322407536021120113879871393357658789768814416622492847430639474124377767893424865485276302"
            + "219601246094119453082952085005768838150682342462881473913110540827237163350510684586298239"
            + "947245938479716304835356329624224137216"
        for text in ["1e999", "-1e309", "1.8e308", twoToThe1024] {
            let bytes = Array(text.utf8)
            let scan = bytes.withUnsafeBufferPointer { DecimalParser().scan($0.baseAddress!, from: 0, end: $0.count) }
            guard case .outOfRange(let start, let end) = scan else {
                Issue.record("\(text) should be out of range, got \(scan)")
                continue
            }
            #expect(start == 0 && end == bytes.count)
        }
    }

    @Test(arguments: [
        ("-", "expected a digit"), ("01", "leading zeros are not allowed in numbers"), ("-01", "leading zeros"),
        ("1.", "expected a digit after '.'"), ("1.e5", "expected a digit after '.'"),
        ("1e", "expected a digit in the exponent"), ("1e+", "expected a digit in the exponent"),
        ("-x", "expected a digit"),
    ])
    func malformedLiteralsAreNamed(text: String, message: String) {
        let bytes = Array(text.utf8)
        let scan = bytes.withUnsafeBufferPointer { DecimalParser().scan($0.baseAddress!, from: 0, end: $0.count) }
        guard case .malformed(let said, _) = scan else {
            Issue.record("\(text) should be malformed, got \(scan)")
            return
        }
        #expect(said.hasPrefix(message))
    }

    @Test func textThatIsNotANumberIsLeftToTheCaller() {
        for text in ["x", "\"1\"", "null", ".5", "+1", "NaN", "Infinity"] {
            let bytes = Array(text.utf8)
            let scan = bytes.withUnsafeBufferPointer { DecimalParser().scan($0.baseAddress!, from: 0, end: $0.count) }
            guard case .notANumber = scan else {
                Issue.record("\(text) should not start a number, got \(scan)")
                continue
            }
        }
    }

    /// Random literals of every shape: shortest and 17-digit forms of random doubles, subnormals, long digit
    /// strings with a point anywhere and wild exponents, exact halfway points between neighbouring doubles.
    @Test func randomLiteralsReadLikeStrtod() {
        var random = SeededRandom(seed: 99)
        var failures: [String] = []
        func check(_ text: String) { if !Self.agrees(text) { failures.append(text) } }
        for round in 0..<Self.randomCount / 3 {
            let bits = random.next()
            switch round % 6 {
            case 0:
                let value = Double(bitPattern: bits & 0x7FFF_FFFF_FFFF_FFFF)
                if value.isFinite {
                    check(value.description)
                    check(String(format: "%.17g", value))
                }
            case 1:
                let value = Double(bits >> 11) / 9_007_199_254_740_992 * 10 - 5
                check(value.description)
                check(String(format: "%.6f", value))
            case 2:
                var digits = String(bits % 9 + 1)
                for _ in 0..<random.next() % 30 { digits += String(random.next() % 10) }
                let point = Int(random.next() % UInt64(digits.count))
                if point > 0 { digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point)) }
                check(digits + "e" + String(Int(random.next() % 700) - 350))
            case 3:  // halfway points (2^-60 … 2^60), exact and cut to 19 digits (just below: rounds down)
                let low = Double(bitPattern: (963 + bits % 120) << 52 | random.next() >> 12)
                let text = Self.midpoint(low)
                check(text)
                check(Self.significantPrefix(text, 19))
            case 4:
                let value = Double(bitPattern: bits & 0x000F_FFFF_FFFF_FFFF)
                check(value.description)
                check(String(format: "%.25e", value))
            default:
                let mantissa = bits % 10_000_000_000_000_000_000
                check("\(mantissa)e\(Int(random.next() % 60) - 30)")
                check("0.\(mantissa)")
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
    }

    /// The exact decimal text of the point halfway between a positive normal double and the next one up:
    /// (2m + 1) · 2^(e − 53) for significand m and exponent e.
    static func midpoint(_ low: Double) -> String {
        exactDecimal((low.significandBitPattern | 1 << 52) * 2 + 1, Int(low.exponent) - 53)
    }

    /// The first `count` significant digits of a plain decimal, the rest cut off.
    static func significantPrefix(_ text: String, _ count: Int) -> String {
        var kept = 0
        var started = false
        var result = ""
        for character in text {
            if character.isNumber {
                if character != "0" { started = true }
                if started { kept += 1 }
                if kept > count { break }
            }
            result.append(character)
        }
        return result.hasSuffix(".") ? String(result.dropLast()) : result
    }

    /// significand · 2^exponent as an exact decimal, with base-10^9 limbs (dividing by 2^n is multiplying by 5^n
    /// and moving the point n places).
    static func exactDecimal(_ significand: UInt64, _ exponent: Int) -> String {
        let base: UInt64 = 1_000_000_000
        var limbs: [UInt64] = []  // least significant first
        var rest = significand
        while rest > 0 {
            limbs.append(rest % base)
            rest /= base
        }
        func multiply(_ factor: UInt64) {
            var carry: UInt64 = 0
            for index in limbs.indices {
                let product = limbs[index] * factor + carry
                limbs[index] = product % base
                carry = product / base
            }
            while carry > 0 {
                limbs.append(carry % base)
                carry /= base
            }
        }
        var remaining = abs(exponent)
        let (chunk, factor): (Int, UInt64) = exponent >= 0 ? (30, 1 << 30) : (13, 1_220_703_125)
        while remaining >= chunk {
            multiply(factor)
            remaining -= chunk
        }
        multiply(exponent >= 0 ? 1 << UInt64(remaining) : (0..<remaining).reduce(1) { value, _ in value * 5 })
        var digits = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let text = String(limb)
            digits += String(repeating: "0", count: 9 - text.count) + text
        }
        guard exponent < 0 else { return digits }
        let fractionDigits = -exponent
        if digits.count <= fractionDigits {
            digits = String(repeating: "0", count: fractionDigits - digits.count + 1) + digits
        }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fractionDigits))
        return digits
    }

    /// Halfway points that fit 19 digits (doubles between 2^50 and 2^64) are decided by the fast paths, not by
    /// the fallback: they must round to even exactly as strtod does.
    @Test func shortHalfwayPointsRoundToEven() {
        var random = SeededRandom(seed: 5)
        var failures: [String] = []
        for _ in 0..<Self.randomCount / 20 {
            let exponent = UInt64(50 + random.next() % 14)
            let low = Double(bitPattern: (1023 + exponent) << 52 | random.next() >> 12)
            let text = Self.midpoint(low)
            if !Self.agrees(text) { failures.append(text) }
        }
        #expect(Self.midpoint(1) == "1.00000000000000011102230246251565404236316680908203125")
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
    }

    // MARK: Tables

    /// Known rows computed independently with Python's exact fractions.
    @Test func powerTablesMatchExactArithmetic() {
        let tables = PowerTables.shared
        func five(_ e: Int) -> (UInt64, UInt64) {
            let index = 2 * (e - PowerTables.minPower)
            return (tables.fivePowers[index], tables.fivePowers[index + 1])
        }
        #expect(five(0) == (0x8000_0000_0000_0000, 0))
        #expect(five(1) == (0xA000_0000_0000_0000, 0))
        #expect(five(-1) == (0xCCCC_CCCC_CCCC_CCCC, 0xCCCC_CCCC_CCCC_CCCC))
        #expect(five(27) == (0xCECB_8F27_F420_0F3A, 0))
        #expect(five(-27) == (0x9E74_D1B7_91E0_7E48, 0x775E_A264_CF55_347D))
        #expect(five(100) == (0x924D_692C_A61B_E758, 0x593C_2626_705F_9C56))
        #expect(five(-100) == (0xDFF9_7724_7029_7EBD, 0x5978_7E2B_93BC_56F7))
        #expect(five(308) == (0x8E67_9C2F_5E44_FF8F, 0x570F_09EA_A7EA_7648))
        #expect(five(-342) == (0xEEF4_53D6_923B_D65A, 0x113F_AA29_06A1_3B3F))
        func g(_ k: Int) -> (UInt64, UInt64) {
            let index = 2 * (k - PowerTables.schubfachMinK)
            return (tables.schubfach[index], tables.schubfach[index + 1])
        }
        #expect(g(-324) == (0x4F0C_EDC9_5A71_8DD4, 0x5B01_E8B0_9AA0_D1B5))
        #expect(g(-1) == (0x5000_0000_0000_0000, 1))
        #expect(g(0) == (0x4000_0000_0000_0000, 1))
        #expect(g(1) == (0x6666_6666_6666_6666, 0x3333_3333_3333_3334))
        #expect(g(100) == (0x6FFC_BB92_3814_BF5E, 0x565E_1F8A_E4EF_15BE))
        #expect(g(292) == (0x7FBB_D8FE_5F5E_6E27, 0x497A_3A27_04EE_C3DF))
    }
}
