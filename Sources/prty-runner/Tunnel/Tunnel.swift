import Foundation
import Shared
import Synchronization

/// The way in for the server, as the runner uses it: started after the webhook listener and before registration,
/// it gives the webhook URL to register, reports URL changes (bore reconnects) through `onURLChange` and every up
/// or down through `onStateChange`, and shows its state in `status` and `/metrics`. A tunnel that cannot come up is an error at start, never a silent
/// fallback to a localhost URL the server cannot reach.
///
///     let plan = try TunnelPlan.resolve(settings, webhookPort: 8081)   // bind plan.listenHost(configured)
///     let tunnel = try await Tunnel.start(plan, webhookPort: server.port, log: log, onURLChange: reRegister)
///     register(webhook: tunnel.publicURL)
final class Tunnel: Sendable {
    let plan: TunnelPlan
    private let bore: BoreClient?
    private let fixed: Mutex<TunnelStatus>

    private init(plan: TunnelPlan, bore: BoreClient?, status: TunnelStatus) {
        self.plan = plan
        self.bore = bore
        self.fixed = Mutex(status)
    }

    /// Brings the tunnel up: bore connects (retrying for at most `timeout` seconds), ngrok's agent is asked for
    /// its URL, local and custom URLs are known at once.
    static func start(
        _ plan: TunnelPlan, webhookPort: Int, http: HTTPClient = .live, log: Log? = nil, timeout: Double = 30,
        onURLChange: @escaping @Sendable (String) -> Void = { _ in },
        onStateChange: @escaping @Sendable (TunnelStatus) -> Void = { _ in }
    ) async throws(TunnelError) -> Tunnel {
        let plan = plan.listening(on: webhookPort)
        switch plan.mode {
        case .bore(let config):
            let client = BoreClient(
                config: config, log: log, onURLChange: onURLChange, onStateChange: onStateChange)
            _ = try await client.start(timeout: timeout)
            return Tunnel(plan: plan, bore: client, status: TunnelStatus(kind: .bore))
        case .ngrok(let api):
            let url = try await NgrokAgent.webhookURL(api: api, webhookPort: webhookPort, http: http)
            log?.info("tunnel_up", "tunnel: ngrok agent forwards \(url)", ["url": .string(url)])
            return Tunnel(plan: plan, bore: nil, status: TunnelStatus(kind: .ngrok, state: .up, publicURL: url))
        case .custom, .local:
            let url = plan.fixedURL(port: webhookPort)
            return Tunnel(plan: plan, bore: nil, status: TunnelStatus(kind: plan.kind, state: .up, publicURL: url))
        }
    }

    /// The tunnel now.
    var status: TunnelStatus { bore?.current ?? fixed.withLock { $0 } }

    /// The webhook URL to register and to send as heartbeat `public_ip`; the last one known while bore reconnects.
    var publicURL: String { status.publicURL ?? "" }

    /// Whether traffic flows now (bore: the control connection is up).
    var isUp: Bool { status.state == .up }

    /// Ends the tunnel (bore: the control connection and every proxied connection).
    func stop() async {
        if let bore {
            await bore.stop()
        } else {
            fixed.withLock { $0.state = .stopped }
        }
    }
}
