import Foundation

/// Exit statuses from sysexits.h, as docs/exit-codes.md assigns them. Every `--help` lists them.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case software = 70
    case tempFailure = 75
    case noPermission = 77
    case config = 78
    case interrupted = 130

    /// One line per status, for `--help`.
    public var meaning: String {
        switch self {
        case .success: "done"
        case .failure: "the work itself failed"
        case .usage: "usage: unknown flag, bad flag value, invalid task config"
        case .dataError: "bad input data"
        case .noInput: "input not found"
        case .unavailable: "a required service is unavailable"
        case .software: "internal error (a bug: please report it)"
        case .tempFailure: "temporary failure; retrying may help"
        case .noPermission: "permission denied"
        case .config: "configuration error"
        case .interrupted: "interrupted by SIGINT/SIGTERM"
        }
    }
}

/// An error that knows which exit status it maps to. `Tool.run` is the only place that reads it.
public protocol ExitStatusError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}

/// A command line that cannot be run: exit 64.
public struct UsageError: ExitStatusError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitStatus: ExitStatus { .usage }
}

/// A bad configuration value (a `.env` key or environment variable): exit 78. The message names key and value.
public struct ConfigError: ExitStatusError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public init(key: String, value: String, expected: String) {
        self.message = "\(key)=\(value.debugDescription) is not valid: expected \(expected)"
    }
    public var description: String { message }
    public var exitStatus: ExitStatus { .config }
}

/// Bad input data (malformed document, content failing its hash): exit 65.
public struct DataError: ExitStatusError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitStatus: ExitStatus { .dataError }
}

/// An input that does not exist (missing file, unknown CID): exit 66.
public struct NotFoundError: ExitStatusError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitStatus: ExitStatus { .noInput }
}
