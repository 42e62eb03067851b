import Shared

/// Why prty-runner stops (or a subcommand fails), with the exit status each one documents. The tunnel's own
/// failures are `TunnelError`: its cases decide reconnecting, not only the exit. Bad settings are `ConfigError`.
enum RunnerError: ExitStatusError, Equatable {
    /// A state file (status, outbox entry, dead letter) could not be written crash-safely: exit 1.
    case stateFile(String)
    /// `prty-wallet address` could not tell the node's wallet address: exit 78.
    case walletAddress(String)
    /// `prty-runner status` found no running node: exit 69.
    case notRunning(String)

    var description: String {
        switch self {
        case .stateFile(let message), .walletAddress(let message), .notRunning(let message): message
        }
    }

    var exitStatus: ExitStatus {
        switch self {
        case .stateFile: .failure
        case .walletAddress: .config
        case .notRunning: .unavailable
        }
    }
}
