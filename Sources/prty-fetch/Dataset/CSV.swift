import Foundation

/// RFC 4180 CSV read straight from bytes: fields separated by `,`, records by LF or CRLF, fields optionally in
/// double quotes (which may hold commas, newlines and `""` for a quote). Cells are trimmed of spaces and tabs;
/// blank lines are skipped; a UTF-8 byte-order mark is ignored. Numbers are parsed in place (`NumberParser`),
/// so a numeric cell never becomes a String. Without any `"` in the file, every newline ends a record and the
/// work is split across the cores by line ranges, then joined in order: the result does not depend on the
/// number of cores.
struct CSV {
    /// One field: where its text lies (quotes excluded), and whether it needs `""` unescaped.
    struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
        var escaped: Bool
    }

    let bytes: UnsafePointer<UInt8>
    let count: Int

    init(_ buffer: UnsafeRawBufferPointer) {
        bytes = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
    }

    /// Where the first record starts (after a byte-order mark).
    var bodyStart: Int {
        count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    var hasQuotes: Bool { memchr(bytes, Int32(UInt8(ascii: "\"")), count) != nil }

    /// The text of a field, unescaped.
    func text(_ field: Field) -> String {
        let raw = UnsafeBufferPointer(start: bytes + field.start, count: field.end - field.start)
        guard field.escaped else { return String(decoding: raw, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            out.append(raw[index])
            index += raw[index] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    enum ScanError: Error, Equatable {
        /// A quoted field not closed before the end, or text after a closing quote.
        case badQuote(line: Int)
    }

    /// Reads the record starting at `position` (which must not be inside a blank line) into `fields`; returns
    /// where the next record starts and how many newlines it passed. Fields are trimmed.
    @inline(__always)
    func record(at position: Int, end: Int, into fields: inout [Field], line: Int) throws(ScanError) -> (Int, Int) {
        fields.removeAll(keepingCapacity: true)
        var index = position
        var newlines = 0
        while true {
            // Leading blanks.
            while index < end && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")) {
                index &+= 1
            }
            if index < end && bytes[index] == UInt8(ascii: "\"") {
                index &+= 1
                let start = index
                let openedOn = line + newlines
                var escaped = false
                while true {
                    guard index < end else { throw .badQuote(line: openedOn) }
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < end && bytes[index + 1] == UInt8(ascii: "\"") {
                            escaped = true
                            index &+= 2
                            continue
                        }
                        break
                    }
                    if byte == UInt8(ascii: "\n") { newlines &+= 1 }
                    index &+= 1
                }
                fields.append(Field(start: start, end: index, quoted: true, escaped: escaped))
                index &+= 1
                while index < end
                    && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")
                        || bytes[index] == UInt8(ascii: "\r"))
                {
                    index &+= 1
                }
                guard index == end || bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "\n") else {
                    throw .badQuote(line: line + newlines)
                }
            } else {
                let start = index
                while index < end {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") { break }
                    index &+= 1
                }
                var stop = index
                while stop > start
                    && (bytes[stop - 1] == UInt8(ascii: " ") || bytes[stop - 1] == UInt8(ascii: "\t")
                        || bytes[stop - 1] == UInt8(ascii: "\r"))
                {
                    stop &-= 1
                }
                fields.append(Field(start: start, end: stop, quoted: false, escaped: false))
            }
            if index < end && bytes[index] == UInt8(ascii: ",") {
                index &+= 1
                continue
            }
            if index < end { index &+= 1 }  // the newline
            return (index, newlines &+ 1)
        }
    }

    /// Skips blank lines (only spaces, tabs, CR) from `position`; returns the next record's start and the lines
    /// skipped.
    @inline(__always)
    func skipBlank(_ position: Int, end: Int) -> (Int, Int) {
        var index = position
        var lines = 0
        var lineStart = index
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                lines &+= 1
                index &+= 1
                lineStart = index
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                index &+= 1
            } else {
                return (lineStart, lines)
            }
        }
        return (end, lines)
    }

    /// Splits `start..<count` into at most `parts` ranges that each begin at a line start. Only valid when the
    /// file has no quotes (then every newline ends a record).
    func lineRanges(from start: Int, parts: Int) -> [Range<Int>] {
        let total = count - start
        guard parts > 1, total > 1 << 20 else { return [start..<count] }
        var ranges = [Range<Int>]()
        var lower = start
        for part in 1..<parts {
            var cut = start + total / parts * part
            if cut <= lower { continue }
            guard let newline = memchr(bytes + cut, Int32(UInt8(ascii: "\n")), count - cut) else { break }
            cut = bytes.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            ranges.append(lower..<cut)
            lower = cut
        }
        ranges.append(lower..<count)
        return ranges
    }

    /// Newlines in a range (for the line numbers of the next range).
    func newlines(in range: Range<Int>) -> Int {
        var total = 0
        var index = range.lowerBound
        while index < range.upperBound {
            guard let found = memchr(bytes + index, Int32(UInt8(ascii: "\n")), range.upperBound - index) else { break }
            total += 1
            index = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return total
    }
}
