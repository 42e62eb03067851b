import Testing
@testable import Shared

/// RFC 8259, strictly: what must parse, what must not, and where the error says the problem is.
struct JSONParserTests {
    func message(_ text: String) -> String? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2.5, 3e2, true, false, null, "x", {}, []] , "b":{"c":"d"} } "#)
        #expect(value == [
            "a": [1, .number(JSONNumber(literal: "-2.5")), .number(JSONNumber(literal: "3e2")), true, false, nil, "x",
                  .object([:]), .array([])],
            "b": ["c": "d"],
        ])
        #expect(value["a"]?.arrayValue?[2].doubleValue == 300)
    }

    @Test(arguments: ["0", "-0", "1", "-1", "0.5", "1e5", "1E5", "1e+5", "1e-5", "-0.0e-0", "123456789", "\"\"", "[]",
                      "{}", "true", "false", "null", " \t\r\n 1 \t\r\n", "[[[[]]]]", "{\"\":0}", "\"\\/\""])
    func acceptsValidDocuments(text: String) {
        #expect(message(text) == nil)
    }

    @Test(arguments: [
        ("", "line 1, column 1: unexpected end of input, expected a value"),
        ("{\"a\":1,}", "line 1, column 8: expected a string key"),
        ("[1,]", "line 1, column 4: unexpected character ']', expected a value"),
        ("[1 2]", "line 1, column 4: expected ',' or ']' in an array"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after the key \"a\""),
        ("{\"a\":1 \"b\":2}", "line 1, column 8: expected ',' or '}' in an object"),
        ("{1:2}", "line 1, column 2: expected a string key"),
        ("[1] x", "line 1, column 5: unexpected text after the JSON value"),
        ("\"abc", "unterminated string"),
        ("tru", "line 1, column 1: invalid literal, expected true"),
        ("nul", "invalid literal, expected null"),
        ("01", "line 1, column 2: leading zeros are not allowed in numbers"),
        ("1.", "line 1, column 3: expected a digit after '.'"),
        ("1e", "expected a digit in the exponent"),
        ("-", "line 1, column 2: expected a digit"),
        ("+1", "unexpected character '+', expected a value"),
        (".5", "unexpected character '.', expected a value"),
        ("NaN", "unexpected character 'N', expected a value"),
        ("Infinity", "unexpected character 'I', expected a value"),
        ("'a'", "unexpected character ''', expected a value"),
        ("\"a\\x\"", "invalid escape \\'x' in a string"),
        ("\"a\u{01}\"", "control character in a string"),
        ("\"\\u12zz\"", "invalid hex digit in \\u escape"),
        ("\"\\u12\"", "truncated \\u escape"),
        ("1e999", "line 1, column 1: number 1e999 is out of range"),
        ("[-1e400]", "line 1, column 2: number -1e400 is out of range"),
        ("{\n  \"a\": tru\n}", "line 2, column 8: invalid literal, expected true"),
        ("[\r\n1,\r\n\t2,\r\n x]", "line 4, column 2: unexpected character 'x'"),
    ])
    func refusesInvalidDocumentsWithPosition(text: String, expected: String) throws {
        let said = try #require(message(text))
        #expect(said.hasPrefix("malformed JSON at "))
        #expect(said.contains(expected), "\(said)")
    }

    @Test func refusesBytesThatAreNotUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]  // "\xC3(" : a broken two-byte sequence
        #expect(throws: DataError.self) { try JSONParser.parse(bytes) }
        do { _ = try JSONParser.parse(bytes) } catch { #expect(error.message.contains("not valid UTF-8")) }
    }

    @Test func nestingDepthIsLimited() throws {
        let limit = JSONParser.maxDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(message(deepest) == nil)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        let said = try #require(message(tooDeep))
        #expect(said.contains("nesting deeper than \(limit) levels"))
        #expect(said.contains("column \(limit + 1)"))
        let objects = String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(message(objects)?.contains("nesting deeper") == true)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        #expect(try JSONParser.parse(#""\u00e9\u20AC\ud83d\ude00""#) == "é€😀")
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{08}\u{0C}\n\r\t")
        #expect(try JSONParser.parse("\"é😀\"") == "é😀")  // raw UTF-8 passes through
        #expect(message(#""\ud83d""#)?.contains("unpaired surrogate") == true)
        #expect(message(#""\ud83dx""#)?.contains("unpaired surrogate") == true)
        #expect(message(#""\ud83d\u0041""#)?.contains("invalid surrogate pair") == true)
        #expect(message(#""\ude00""#)?.contains("invalid \\u escape") == true)  // a lone low surrogate
    }

    @Test func duplicateKeysAreRefused() throws {
        let said = try #require(message(#"{"a": 1, "b": 2, "a": 3}"#))
        #expect(said.contains("duplicate key \"a\""))
        #expect(said.contains("line 1, column 23"))
        #expect(message(#"{"a": {"a": 1}}"#) == nil)  // the same key in another object is fine
    }

    @Test func bigIntegersKeepTheirExactText() throws {
        let value = try JSONParser.parse("[18446744073709551615, -9223372036854775808, 123456789012345678901234567890]")
        let numbers = try #require(value.arrayValue).compactMap(\.numberValue)
        #expect(numbers[0].uint64 == UInt64.max)
        #expect(numbers[0].text == "18446744073709551615")
        #expect(numbers[1].int == Int.min)
        #expect(numbers[2].text == "123456789012345678901234567890")
        #expect(numbers[2].int == nil)
        #expect(value.serialized() == "[18446744073709551615,-9223372036854775808,123456789012345678901234567890]")
    }

    @Test func integerAccessorsRefuseFractionsAndHugeValues() throws {
        #expect(try JSONParser.parse("2.5").intValue == nil)
        #expect(try JSONParser.parse("1e300").intValue == nil)
        #expect(try JSONParser.parse("4.0").intValue == 4)
        #expect(try JSONParser.parse("1e3").intValue == 1000)
        #expect(try JSONParser.parse("-1").numberValue?.uint64 == nil)
        #expect(try JSONParser.parse("\"3\"").intValue == nil)
    }

    @Test func parseValueReadsOneValueInsideADocument() throws {
        let bytes = Array(#"{"a": [1, 2], "b": x}"#.utf8)
        var index = 6
        #expect(try JSONParser.parseValue(bytes, at: &index) == [1, 2])
        #expect(index == 12)
        var bad = 19
        do {
            _ = try JSONParser.parseValue(bytes, at: &bad)
            Issue.record("x is not a value")
        } catch {
            #expect(error.message.contains("line 1, column 20"))  // positions count from the document's start
        }
    }

    @Test func serializedDocumentsParseBackToTheSameValue() throws {
        let value: JSON = [
            "name": "a \"quoted\"\n\tline/é😀\u{01}", "numbers": [0, -0.5, 1e-7, 1.7976931348623157e308, 42],
            "nested": ["empty": [:], "list": [], "flag": false, "nothing": nil],
        ]
        #expect(try JSONParser.parse(value.serialized()) == value)
        #expect(try JSONParser.parse(value.serialized(pretty: true)) == value)
    }
}
