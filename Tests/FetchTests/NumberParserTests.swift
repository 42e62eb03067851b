import Foundation
import Shared
import Testing

@testable import prty_fetch

struct NumberParserTests {
    static func parse(_ text: String) -> NumberParser.Result {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer {
            NumberParser.parse($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, $0.count)
        }
    }

    @Test(arguments: [
        ("0", 0.0), ("-0", -0.0), ("12", 12.0), ("-3.5", -3.5), ("+.5", 0.5), ("1.", 1.0), ("6.02e23", 6.02e23),
        ("1E-7", 1e-7), ("0.1", 0.1), ("123456789012345678", 123456789012345678.0),
        ("0.1257302210933933", 0.1257302210933933), ("-1.2654214710460525", -1.2654214710460525),
        ("9007199254740993", 9007199254740993.0), ("2.2250738585072014e-308", 2.2250738585072014e-308),
        ("1.7976931348623157e308", 1.7976931348623157e308), ("4.9e-324", Double.leastNonzeroMagnitude),
        ("0.000000000000000000000000000001", 1e-30), ("12345678901234567890123", 1.2345678901234568e22),
        ("00012", 12.0), ("1.00000000000000000000000000001", 1.0),
    ])
    func numbers(text: String, value: Double) {
        guard case .number(let parsed) = Self.parse(text) else {
            Issue.record("'\(text)' did not parse")
            return
        }
        #expect(parsed.bitPattern == value.bitPattern, "'\(text)' gave \(parsed)")
    }

    @Test(arguments: ["", "abc", "1.2.3", "1e", "e5", "-", "+", ".", "1,5", "0x10", "1e5x", " 1"])
    func notNumbers(text: String) {
        #expect(Self.parse(text) == .notANumber, "'\(text)'")
    }

    @Test(arguments: ["inf", "-Infinity", "NaN", "nan", "1e400", "-1e999"])
    func notFinite(text: String) {
        #expect(Self.parse(text) == .notFinite, "'\(text)'")
    }

    /// Correct rounding: random 1–19 digit mantissas at every exponent from -40 to 40, and halfway cases,
    /// against Swift's own parser (strtod).
    @Test func agreesWithStrtod() {
        var random = SeededRandom(seed: 42)
        var checked = 0
        for _ in 0..<40_000 {
            let digits = 1 + random.nextInt(below: 19)
            var mantissa = ""
            for index in 0..<digits {
                mantissa.append(String(index == 0 ? 1 + random.nextInt(below: 9) : random.nextInt(below: 10)))
            }
            let point = random.nextInt(below: digits + 1)
            var text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if random.nextInt(below: 3) == 0 { text += "e\(random.nextInt(below: 81) - 40)" }
            if random.nextInt(below: 2) == 0 { text = "-" + text }
            guard case .number(let parsed) = Self.parse(text), let expected = Double(text) else {
                Issue.record("'\(text)' did not parse")
                continue
            }
            #expect(parsed.bitPattern == expected.bitPattern, "'\(text)': \(parsed) vs \(expected)")
            checked += 1
        }
        // Exactly halfway between two Doubles: ties go to even.
        for text in [
            "9007199254740993", "9007199254740995", "4503599627370496.5", "4503599627370497.5",
            "2.4703282292062328e-324", "1.00000000000000011102230246251565404236316680908203125",
        ] {
            #expect(Self.parse(text) == .number(Double(text)!), "'\(text)'")
        }
        #expect(checked == 40_000)
    }
}
