import Foundation

/// A child could not be started or watched.
public enum SubprocessError: ExitStatusError, Equatable {
    case notFound(String, searchPath: String?)
    case spawn(String, String)
    case io(String)

    public var description: String {
        switch self {
        case .notFound(let name, let searchPath?): "program '\(name)' not found in PATH (\(searchPath))"
        case .notFound(let name, nil): "program \(name) does not exist"
        case .spawn(let name, let reason): "cannot start \(name): \(reason)"
        case .io(let reason): reason
        }
    }

    /// A missing program is a missing required service (69); the rest are internal failures.
    public var exitStatus: ExitStatus {
        switch self {
        case .notFound: .unavailable
        case .spawn, .io: .failure
        }
    }
}
