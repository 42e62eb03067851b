import Shared

/// Why a tunnel could not come up or went down. The messages name the setting to change where one is to blame.
enum TunnelError: ExitStatusError, Equatable {
    /// The tunnel server (or the ngrok agent) cannot be reached: exit 69.
    case unreachable(String)
    /// A connection ended or broke; the bore client reconnects.
    case closed(String)
    /// The server said something that is not bore's protocol.
    case protocolError(String)
    /// The bore server answered `Error(message)`.
    case server(String)
    /// The bore server refused the secret, or the secret settings of client and server do not match: exit 78.
    case secret(String)
    /// No heartbeat (or anything else) from the bore server for this many seconds.
    case silence(Double)
    /// A setting that cannot work: exit 78.
    case config(String)
    /// The tunnel did not come up within the start bound: exit 69.
    case timedOut(String)

    var description: String {
        switch self {
        case .unreachable(let message), .closed(let message), .protocolError(let message), .config(let message),
            .timedOut(let message), .secret(let message):
            message
        case .server(let message): "the bore server answered: \(message)"
        case .silence(let seconds):
            "no heartbeat from the bore server for \(Int(seconds.rounded())) s; the control connection is dead"
        }
    }

    var exitStatus: ExitStatus {
        switch self {
        case .secret, .config: .config
        case .closed, .silence: .tempFailure
        case .unreachable, .timedOut, .server, .protocolError: .unavailable
        }
    }

    /// Errors that retrying cannot mend: the operator has to change a setting.
    var isFatal: Bool {
        switch self {
        case .secret, .config: true
        case .server(let message): message.contains("not in allowed range")
        default: false
        }
    }
}
