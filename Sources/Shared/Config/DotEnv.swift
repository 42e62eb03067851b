import Foundation

/// A parsed `.env` file: `KEY=value` lines as docker compose, godotenv and python-dotenv read them.
///
/// - `KEY=value` and `export KEY=value`; spaces around `=` are allowed.
/// - `'single quotes'` are literal; `"double quotes"` understand `\n`, `\r`, `\t`, `\"` and `\\` (any other
///   backslash stays as written). Quoted values may span lines.
/// - An unquoted value ends at a ` #` comment (a `#` after whitespace); a `#` inside a word stays (`a#b`).
/// - Blank lines, `# comment` lines, CRLF line ends and a UTF-8 byte-order mark are accepted.
/// - No `${VAR}` expansion: a `$` is just a character.
///
/// A line that is none of these is a `ConfigError` naming the file and line (never the line's text, which may
/// hold a secret).
public struct DotEnv: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        /// The 1-based line where the entry starts.
        public var line: Int
    }

    /// The file's entries in order; a key given twice appears twice (the last one wins in `values`).
    public let entries: [Entry]

    /// Key → value; for a repeated key, the last value.
    public var values: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.key] = entry.value }
        return result
    }

    /// The line of the last entry for `key`, for error messages.
    public func line(of key: String) -> Int? { entries.last { $0.key == key }?.line }

    /// Reads and parses the file at `path`. A missing or unreadable file is a `ConfigError`.
    public static func load(path: String) throws(ConfigError) -> DotEnv {
        let bytes: [UInt8]
        do {
            bytes = try Input.file(path)
        } catch {
            throw ConfigError("cannot read the config file \(path): \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError("\(path) is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses `.env` text; `file` names the source in error messages.
    public static func parse(_ text: String, file: String = ".env") throws(ConfigError) -> DotEnv {
        var parser = Parser(Array(text.utf8), file: file)
        return DotEnv(entries: try parser.entries())
    }
}

extension DotEnv {
    /// A byte-level parser: one pass, tracking the line number for messages.
    fileprivate struct Parser {
        let bytes: [UInt8]
        let file: String
        var index = 0
        var line = 1

        init(_ bytes: [UInt8], file: String) {
            var bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            self.bytes = bytes
            self.file = file
        }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        private func error(_ what: String, line: Int? = nil) -> ConfigError {
            ConfigError("\(file) line \(line ?? self.line): \(what)")
        }

        private mutating func skipBlanks() {
            while let byte = current, byte == .space || byte == .tab { index += 1 }
        }

        /// Consumes the rest of the line (a comment, or nothing but blanks) and its end.
        private mutating func endLine(allowComment: Bool, what: String) throws(ConfigError) {
            skipBlanks()
            if current == .hash && allowComment {
                while let byte = current, byte != .newline { index += 1 }
            }
            if current == .carriageReturn { index += 1 }
            if let byte = current {
                guard byte == .newline else { throw error(what) }
                index += 1
                line += 1
            }
        }

        mutating func entries() throws(ConfigError) -> [Entry] {
            var result: [Entry] = []
            while index < bytes.count {
                skipBlanks()
                guard let first = current else { break }
                if first == .newline || first == .carriageReturn || first == .hash {
                    try endLine(allowComment: true, what: "unexpected text after a carriage return")
                    continue
                }
                let start = line
                var key = readKey()
                if key == "export" && (current == .space || current == .tab) {
                    skipBlanks()
                    key = readKey()
                }
                guard !key.isEmpty else {
                    throw error("expected KEY=value, where KEY is letters, digits and underscores")
                }
                guard let head = key.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(head) else {
                    throw error("the key '\(key)' starts with a digit")
                }
                skipBlanks()
                guard current == .equals else {
                    throw error("expected '=' after \(key) (lines are KEY=value)")
                }
                index += 1
                skipBlanks()
                let value: String
                switch current {
                case .singleQuote:
                    value = try readQuoted(closing: .singleQuote, escapes: false, start: start, key: key)
                    try endLine(allowComment: true, what: "unexpected text after the closing quote of \(key)")
                case .doubleQuote:
                    value = try readQuoted(closing: .doubleQuote, escapes: true, start: start, key: key)
                    try endLine(allowComment: true, what: "unexpected text after the closing quote of \(key)")
                default:
                    value = readUnquoted()
                    try endLine(allowComment: true, what: "unexpected text in the value of \(key)")
                }
                result.append(Entry(key: key, value: value, line: start))
            }
            return result
        }

        private mutating func readKey() -> String {
            let start = index
            while let byte = current, byte.isKeyByte { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        private mutating func readQuoted(closing: UInt8, escapes: Bool, start: Int, key: String)
            throws(ConfigError) -> String
        {
            index += 1
            var out: [UInt8] = []
            while true {
                guard let byte = current else {
                    throw error("the quoted value of \(key) is not closed", line: start)
                }
                index += 1
                if byte == closing { break }
                if byte == .carriageReturn && current == .newline { continue }  // CRLF inside a quoted value
                if byte == .newline { line += 1 }
                if escapes && byte == .backslash, let next = current {
                    index += 1
                    switch next {
                    case UInt8(ascii: "n"): out.append(.newline)
                    case UInt8(ascii: "r"): out.append(.carriageReturn)
                    case UInt8(ascii: "t"): out.append(.tab)
                    case .doubleQuote, .backslash: out.append(next)
                    default:
                        if next == .newline { line += 1 }
                        out += [.backslash, next]
                    }
                    continue
                }
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Up to the end of the line or a ` #` comment, without trailing blanks.
        private mutating func readUnquoted() -> String {
            let start = index
            var end = index
            while let byte = current, byte != .newline, byte != .carriageReturn {
                if byte == .hash && (index == start || bytes[index - 1] == .space || bytes[index - 1] == .tab) {
                    break
                }
                index += 1
                if byte != .space && byte != .tab { end = index }
            }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}

extension UInt8 {
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let carriageReturn = UInt8(ascii: "\r")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let hash = UInt8(ascii: "#")
    fileprivate static let equals = UInt8(ascii: "=")
    fileprivate static let singleQuote = UInt8(ascii: "'")
    fileprivate static let doubleQuote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")

    /// Letters, digits, `_`, `.` and `-` (docker compose accepts the last two too).
    fileprivate var isKeyByte: Bool {
        switch self {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
