import Shared

/// What the tunnel is doing, as `prty-runner status` and `/metrics` show it.
struct TunnelStatus: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case bore, local, custom, ngrok
    }

    enum State: Sendable, Equatable {
        case starting
        case up
        /// Down, and why; the bore client is reconnecting.
        case down(String)
        case stopped

        var word: String {
            switch self {
            case .starting: "starting"
            case .up: "up"
            case .down: "down"
            case .stopped: "stopped"
            }
        }
    }

    var kind: Kind
    var state = State.starting
    /// The webhook URL the server is given.
    var publicURL: String? = nil
    /// bore: the public port held.
    var port: UInt16? = nil
    /// bore: control connections lost and re-established.
    var reconnects = 0
    /// bore: proxied connections open now, taken since start, and left unaccepted at the limit.
    var activeConnections = 0
    var proxiedConnections = 0
    var rejectedConnections = 0

    /// For `status --json` and the node's status document.
    var json: JSON {
        var object: [String: JSON] = ["type": .string(kind.rawValue), "state": .string(state.word)]
        if let publicURL { object["public_url"] = .string(publicURL) }
        if case .down(let reason) = state { object["error"] = .string(reason) }
        if kind == .bore {
            object["reconnects"] = .int(reconnects)
            object["active_connections"] = .int(activeConnections)
            object["proxied_connections"] = .int(proxiedConnections)
            object["rejected_connections"] = .int(rejectedConnections)
        }
        return .object(object)
    }

    /// One line for people: `tunnel: bore up, http://bore.pub:41234/webhook (2 reconnects)`.
    var summary: String {
        var line = "\(kind.rawValue) \(state.word)"
        if let publicURL { line += ", \(publicURL)" }
        if case .down(let reason) = state { line += " (\(reason))" }
        if kind == .bore && reconnects > 0 { line += " (\(reconnects) reconnect\(reconnects == 1 ? "" : "s"))" }
        return line
    }
}
