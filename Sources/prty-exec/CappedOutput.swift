/// A task's output, bounded: the first half of `limit` bytes and the last half are kept, whatever comes in
/// between is counted and dropped. `text` strips control characters (except newline and tab) and marks the
/// cut, so a Result never carries terminal escapes or an unbounded log.
struct CappedOutput: Sendable {
    let limit: Int
    private(set) var head: [UInt8] = []
    /// A ring of the most recent bytes once `head` is full.
    private var tail: [UInt8] = []
    private var tailStart = 0
    private(set) var total = 0

    init(limit: Int) { self.limit = max(0, limit) }

    var headLimit: Int { limit - limit / 2 }
    var tailLimit: Int { limit / 2 }
    var isTruncated: Bool { total > limit }

    mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var rest = bytes[...]
        total += bytes.count
        if head.count < headLimit {
            let room = headLimit - head.count
            head += rest.prefix(room)
            rest = rest.dropFirst(room)
        }
        guard !rest.isEmpty, tailLimit > 0 else { return }
        for byte in rest.suffix(tailLimit) {
            if tail.count < tailLimit {
                tail.append(byte)
            } else {
                tail[tailStart] = byte
                tailStart = (tailStart + 1) % tailLimit
            }
        }
    }

    /// The kept bytes as text, control characters removed; a marker line says how much was cut.
    var text: String {
        let ordered = Array(tail[tailStart...] + tail[..<tailStart])
        let first = Self.clean(head)
        guard isTruncated else { return first + Self.clean(ordered) }
        let dropped = total - head.count - ordered.count
        return first + "\n[… \(dropped) bytes of output cut: RUNNER_MAX_OUTPUT_BYTES=\(limit) …]\n"
            + Self.clean(ordered)
    }

    /// UTF-8 text without C0/C1 control characters and DEL, except `\n` and `\t`.
    static func clean(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0A || value == 0x09 {
                scalars.append(scalar)
                continue
            }
            if value < 0x20 || (0x7F...0x9F).contains(value) { continue }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}
