import Foundation

/// People's lines on stderr: `prty-fetch: message` by default, or NDJSON events with `--log-format json`
/// (`{"ts","level","tool","event",…}`). stdout never carries a log line.
public struct Log: Sendable {
    public enum Format: String, Sendable { case human, json }
    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error
        private var rank: Int { [.debug: 0, .info: 1, .warning: 2, .error: 3][self]! }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    public let tool: String
    public let format: Format
    public let minimum: Level
    /// Whether stderr is a terminal: progress bars are drawn only then.
    public let isTerminal: Bool

    public init(tool: String, format: Format = .human, minimum: Level = .info,
                isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.tool = tool
        self.format = format
        self.minimum = minimum
        self.isTerminal = isTerminal
    }

    public func debug(_ event: String, _ message: String, _ fields: [String: JSON] = [:]) {
        emit(.debug, event, message, fields)
    }
    public func info(_ event: String, _ message: String, _ fields: [String: JSON] = [:]) {
        emit(.info, event, message, fields)
    }
    public func warning(_ event: String, _ message: String, _ fields: [String: JSON] = [:]) {
        emit(.warning, event, message, fields)
    }

    /// The last line of a failed run: `prty-X: message`, or `{"event":"error","message",…,"exit_code"}`.
    public func failure(_ message: String, exitStatus: ExitStatus) {
        emit(.error, "error", message, ["exit_code": .int(Int(exitStatus.rawValue))], force: true)
    }

    /// One event. In human form `message` is the line; in JSON form it is the `message` field beside `fields`.
    public func emit(_ level: Level, _ event: String, _ message: String, _ fields: [String: JSON] = [:],
                     force: Bool = false) {
        guard force || level >= minimum else { return }
        let line: String
        switch format {
        case .human:
            let prefix = level == .warning ? "warning: " : ""
            line = "\(tool): \(prefix)\(Excerpt.line(message))\n"  // one line, whatever the input held
        case .json:
            var object = fields
            object["ts"] = .string(Self.timestamp())
            object["level"] = .string(level.rawValue)
            object["tool"] = .string(tool)
            object["event"] = .string(event)
            object["message"] = .string(Excerpt.line(message))
            line = JSON.object(object).serialized() + "\n"
        }
        Self.writeStderr(line)
    }

    /// Writes straight to fd 2 (unbuffered), so lines from several threads never interleave mid-line.
    public static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = spec.tv_nsec / 1_000_000
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
