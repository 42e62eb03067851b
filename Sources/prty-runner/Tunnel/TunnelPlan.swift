import Foundation
import Shared

/// How the server will reach the webhook, decided from the settings before anything starts (a bad combination
/// fails here, exit 78). docs/tunnel.md has the table:
///
/// | RUNNER_TUNNEL_ENABLED | RUNNER_TUNNEL_TYPE | webhook URL | webhook listens on |
/// |---|---|---|---|
/// | true | bore (default) | `http://SERVER:PORT/webhook` from the bore server | 127.0.0.1 |
/// | true | ngrok | the running agent's `public_url` + `/webhook` | 127.0.0.1 |
/// | any | custom | `RUNNER_PUBLIC_URL` | RUNNER_WEBHOOK_HOST |
/// | false, or local | local | `http://RUNNER_PUBLIC_HOST:RUNNER_WEBHOOK_PORT/webhook` | RUNNER_WEBHOOK_HOST |
///
/// With the tunnel off, a set `RUNNER_PUBLIC_URL` means `custom`.
struct TunnelPlan: Sendable, Equatable {
    enum Mode: Sendable, Equatable {
        case bore(BoreConfig)
        case ngrok(api: String)
        case custom(url: String)
        /// No tunnel: `http://HOST:PORT/webhook` with the port the webhook listens on.
        case local(host: String)
    }

    let mode: Mode

    var kind: TunnelStatus.Kind {
        switch mode {
        case .bore: .bore
        case .ngrok: .ngrok
        case .custom: .custom
        case .local: .local
        }
    }

    /// Whether a tunnel on this machine carries the traffic: the webhook then listens on 127.0.0.1 only,
    /// since nothing but the tunnel needs to reach it.
    var loopbackOnly: Bool {
        switch mode {
        case .bore, .ngrok: true
        case .custom, .local: false
        }
    }

    /// The address the webhook binds: 127.0.0.1 under a tunnel, else the configured one (RUNNER_WEBHOOK_HOST).
    func listenHost(_ configured: String) -> String { loopbackOnly ? "127.0.0.1" : configured }

    /// This plan with the port the webhook actually listens on (RUNNER_WEBHOOK_PORT=0 lets the system pick).
    func listening(on port: Int) -> TunnelPlan {
        guard case .bore(var config) = mode, let port = UInt16(exactly: port) else { return self }
        config.localPort = port
        return TunnelPlan(mode: .bore(config))
    }

    /// The webhook URL known without asking anyone (local, custom), for the port the webhook listens on.
    func fixedURL(port: Int) -> String? {
        switch mode {
        case .custom(let url): url
        case .local(let host): "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/webhook"
        case .bore, .ngrok: nil
        }
    }

    /// The ngrok agent's local API (`ngrok http PORT` serves it on 127.0.0.1:4040).
    static let ngrokAPI = "http://127.0.0.1:4040/api/tunnels"

    static func resolve(_ settings: Settings, webhookPort: Int) throws -> TunnelPlan {
        let enabled = try settings.bool(.runnerTunnelEnabled)
        let type = try settings.choice(.runnerTunnelType)
        let publicURL = settings.string(.runnerPublicUrl).trimmingCharacters(in: .whitespaces)
        if type == "custom" || (!enabled && !publicURL.isEmpty) {
            return TunnelPlan(mode: .custom(url: try customURL(publicURL, settings)))
        }
        if enabled && type == "bore" {
            return TunnelPlan(mode: .bore(try boreConfig(settings, webhookPort: webhookPort)))
        }
        if enabled && type == "ngrok" {
            return TunnelPlan(mode: .ngrok(api: ngrokAPI))
        }
        let host = settings.string(.runnerPublicHost).trimmingCharacters(in: .whitespaces)
        guard !host.isEmpty, !host.contains("/"), !host.contains(" ") else {
            throw invalid(.runnerPublicHost, host, settings, "a host name or address, e.g. 203.0.113.7")
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return TunnelPlan(mode: .local(host: bare))
    }

    /// RUNNER_TUNNEL_SERVER_URL (`bore.pub`, `tunnel.example.org:7835`, a pasted `tcp://` or `http://` tolerated),
    /// RUNNER_TUNNEL_PORT and RUNNER_TUNNEL_SECRET as a client configuration.
    static func boreConfig(_ settings: Settings, webhookPort: Int) throws -> BoreConfig {
        let text = settings.string(.runnerTunnelServerUrl).trimmingCharacters(in: .whitespaces)
        var rest = Substring(text)
        for scheme in ["tcp://", "http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var host = String(rest)
        var controlPort = BoreMessage.controlPort
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {  // [::1]:7835
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let port = UInt16(after.dropFirst()), port > 0 else {
                    throw invalid(.runnerTunnelServerUrl, text, settings, "a host or host:port, e.g. bore.pub")
                }
                controlPort = port
            }
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            guard let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
                throw invalid(.runnerTunnelServerUrl, text, settings, "a host or host:port, e.g. bore.pub")
            }
            host = String(rest[..<colon])
            controlPort = port
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains(" ") else {
            throw invalid(.runnerTunnelServerUrl, text, settings, "a host or host:port, e.g. bore.pub")
        }
        let port = try settings.int(.runnerTunnelPort)
        guard port <= 65535 else {
            throw invalid(.runnerTunnelPort, String(port), settings, "a TCP port, 0 to 65535 (0 = any)")
        }
        let secret = settings.string(.runnerTunnelSecret)
        return BoreConfig(
            host: host, controlPort: controlPort, requestedPort: UInt16(port), secret: secret.isEmpty ? nil : secret,
            localPort: UInt16(clamping: webhookPort))
    }

    /// RUNNER_PUBLIC_URL as the webhook URL: an http(s) URL; `/webhook` appended to a bare origin.
    static func customURL(_ text: String, _ settings: Settings) throws -> String {
        guard !text.isEmpty else {
            throw ConfigError(
                "RUNNER_TUNNEL_TYPE=custom needs RUNNER_PUBLIC_URL, the webhook URL the server can reach "
                    + "(e.g. https://node.example.org/webhook)")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil
        else {
            throw invalid(.runnerPublicUrl, text, settings, "an http:// or https:// URL, e.g. https://node.example.org")
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return url.path.isEmpty || url.path == "/" ? trimmed + "/webhook" : trimmed
    }

    private static func invalid(_ key: SettingKey, _ text: String, _ settings: Settings, _ expected: String)
        -> ConfigError
    {
        let shown = key.isSecret ? "(hidden)" : text.debugDescription
        return ConfigError("\(key.name)=\(shown) is not valid: expected \(expected) (\(settings.lookup(key).source))")
    }
}
