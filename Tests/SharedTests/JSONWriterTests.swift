import Testing
@testable import Shared

/// The writer makes every document the same bytes every time: sorted keys, minimal escapes, one number format.
struct JSONWriterTests {
    @Test func keysAreSortedAtEveryLevel() {
        let value: JSON = ["b": 1, "a": ["z": true, "y": nil, "é": 0, "B": 2], "c": [["k": 1, "j": 2]]]
        #expect(value.serialized() == #"{"a":{"B":2,"y":null,"z":true,"é":0},"b":1,"c":[{"j":2,"k":1}]}"#)
    }

    @Test func insertionOrderNeverChangesTheBytes() {
        var first: [String: JSON] = [:]
        var second: [String: JSON] = [:]
        let keys = (0..<200).map { "key\($0)" }
        for key in keys { first[key] = .string(key) }
        for key in keys.reversed() { second[key] = .string(key) }
        #expect(JSON.object(first).serialized() == JSON.object(second).serialized())
    }

    @Test func stringsEscapeOnlyWhatJSONNeeds() {
        let text = "quote\" back\\ slash/ nl\n cr\r tab\t ctl\u{01}\u{1F} del\u{7F} é 😀"
        #expect(JSON.string(text).serialized()
            == #""quote\" back\\ slash/ nl\n cr\r tab\t ctl\u0001\u001f del"# + "\u{7F} é 😀\"")
    }

    @Test func numbersUseTheSharedFormat() {
        #expect(JSON.double(0.1).serialized() == "0.1")
        #expect(JSON.double(-0.0).serialized() == "0")
        #expect(JSON.double(3).serialized() == "3")
        #expect(JSON.double(1e-7).serialized() == "1e-07")
        #expect(JSON.double(.nan).serialized() == "null")
        #expect(JSON.double(.infinity).serialized() == "null")
        #expect(JSON.int(-42).serialized() == "-42")
        #expect(JSON.uint64(.max).serialized() == "18446744073709551615")
        #expect(JSON.doubles([1, 2.5]).serialized() == "[1,2.5]")
    }

    @Test func prettyOutputIndentsTwoSpaces() {
        let value: JSON = ["b": [1, 2], "a": [:], "c": [], "d": ["x": "y"]]
        #expect(value.serialized(pretty: true) == """
            {
              "a": {},
              "b": [
                1,
                2
              ],
              "c": [],
              "d": {
                "x": "y"
              }
            }
            """)
    }

    @Test func compactOutputHasNoWhitespace() {
        let value: JSON = ["list": [1, "two", [3]], "object": ["k": nil]]
        #expect(!value.serialized().contains(" "))
        #expect(!value.serialized().contains("\n"))
    }
}
