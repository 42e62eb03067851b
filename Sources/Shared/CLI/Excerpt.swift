/// Text from the input as it may appear inside a one-line message: control characters (NUL, ESC, newlines, DEL,
/// the C1 range) escaped as `\u{…}`, so a hostile file cannot rewrite the terminal or split the line, and long
/// text elided in the middle, so a 200 KB cell or a 6,000-character CID is not repeated whole.
public enum Excerpt {
    /// `text` escaped, and cut to about `limit` characters with `…(N characters elided)…` in the middle.
    public static func of(_ text: String, limit: Int = 80) -> String {
        let characters = Array(text)
        guard characters.count > limit else { return escaped(text) }
        let head = max(1, limit * 2 / 3)
        let tail = max(1, limit - head)
        let elided = characters.count - head - tail
        return escaped(String(characters[..<head])) + "…(\(elided) characters elided)…"
            + escaped(String(characters[(characters.count - tail)...]))
    }

    /// Control characters as `\u{0}`, `\u{1B}`, `\n`, `\t`, `\r`; everything else as it is.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar):
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A whole message line: escaped, and at most `limit` characters, keeping its start and its end (where the
    /// hint about what to do usually is).
    public static func line(_ message: String, limit: Int = 2000) -> String {
        let text = escaped(message)
        guard text.count > limit else { return text }
        let characters = Array(text)
        let head = limit * 3 / 4
        let tail = limit - head
        return String(characters[..<head]) + "…(\(characters.count - head - tail) characters elided)…"
            + String(characters[(characters.count - tail)...])
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
    }
}
