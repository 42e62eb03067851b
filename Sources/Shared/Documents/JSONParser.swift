/// A strict RFC 8259 parser for the small documents. Errors name the line and column of the first bad byte.
public struct JSONParser {
    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maxDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    public static func parse(_ text: String) throws(DataError) -> JSON {
        try parse(Array(text.utf8))
    }

    /// Parses exactly one value; anything but whitespace after it is an error.
    public static func parse(_ bytes: [UInt8]) throws(DataError) -> JSON {
        var parser = JSONParser(bytes: bytes)
        parser.index = JSONParser.byteOrderMarkLength(bytes)  // RFC 8259 §8.1: a parser may ignore a BOM
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// 3 when `bytes` starts with the UTF-8 byte order mark (as files saved by some editors do), else 0.
    static func byteOrderMarkLength(_ bytes: [UInt8]) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// Parses the one value that starts at `index` (no whitespace before it) and moves `index` past it. Errors
    /// name positions in the whole of `bytes`. `DatasetReader` reads a document's small fields this way.
    static func parseValue(_ bytes: [UInt8], at index: inout Int) throws(DataError) -> JSON {
        var parser = JSONParser(bytes: bytes)
        parser.index = index
        let value = try parser.value()
        index = parser.index
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func value() throws(DataError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func object() throws(DataError) -> JSON {
        try enter()
        index += 1
        var members: [String: JSON] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
            index += 1
            skipWhitespace()
            if members[key] != nil { throw error("duplicate key \"\(key)\"") }
            members[key] = try value()
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array() throws(DataError) -> JSON {
        try enter()
        index += 1
        var items: [JSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func enter() throws(DataError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func string() throws(DataError) -> String {
        index += 1  // the opening quote
        var out = [UInt8]()
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {  // a UTF-16 surrogate pair
                        guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count,
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in \\u escape") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("invalid escape \\\(describe(escape)) in a string")
                }
            case 0..<0x20: throw error("control character in a string (escape it)")
            default: out.append(byte)
            }
        }
    }

    private mutating func hex4() throws(DataError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func number() throws(DataError) -> JSONNumber {
        let start = index
        let scan = bytes.withUnsafeBufferPointer { DecimalParser().scan($0.baseAddress!, from: start, end: $0.count) }
        switch scan {
        case .number(_, let end):
            index = end
            return JSONNumber(literal: String(decoding: bytes[start..<end], as: UTF8.self))
        case .notANumber: throw error("expected a digit")
        case .malformed(let message, let at):
            index = at
            throw error(message)
        case .outOfRange(_, let end):
            throw error("number \(String(decoding: bytes[start..<end], as: UTF8.self)) is out of range")
        }
    }

    private mutating func literal(_ word: StaticString) throws(DataError) {
        let expected = word.withUTF8Buffer { Array($0) }
        guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw error("invalid literal, expected \(word)")
        }
        index += expected.count
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    /// "malformed JSON at line L, column C: what"; the position counts bytes from 1.
    private func error(_ what: String) -> DataError {
        DataError("malformed JSON at \(TextPosition(bytes[...], offset: index)): \(what)")
    }
}

/// A 1-based line and column in a byte buffer, for error messages.
public struct TextPosition: CustomStringConvertible, Sendable {
    public let line: Int
    public let column: Int

    public init(_ bytes: ArraySlice<UInt8>, offset: Int) {
        var line = 1
        var lineStart = bytes.startIndex
        let end = min(bytes.startIndex + offset, bytes.endIndex)
        var position = bytes.startIndex
        while position < end {
            if bytes[position] == UInt8(ascii: "\n") {
                line += 1
                lineStart = position + 1
            }
            position += 1
        }
        self.line = line
        self.column = end - lineStart + 1
    }

    public var description: String { "line \(line), column \(column)" }
}
