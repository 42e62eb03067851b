/// How the server reaches the node's webhook (prty-runner): the tunnel, the public URL, and the metrics address.
/// docs/tunnel.md says how the keys combine.
extension SettingKey {
    public static let tunnelKeys: [SettingKey] = [
        .runnerTunnelEnabled, .runnerTunnelType, .runnerTunnelServerUrl, .runnerTunnelPort, .runnerTunnelSecret,
        .runnerPublicHost, .runnerPublicUrl, .runnerMetricsAddr,
    ]

    public static let runnerTunnelEnabled = SettingKey(
        "RUNNER_TUNNEL_ENABLED", .bool, default: "false",
        doc: "reach the webhook through a tunnel (RUNNER_TUNNEL_TYPE); false: the server calls RUNNER_PUBLIC_URL, "
            + "else http://RUNNER_PUBLIC_HOST:RUNNER_WEBHOOK_PORT/webhook")
    public static let runnerTunnelType = SettingKey(
        "RUNNER_TUNNEL_TYPE", .choice(["bore", "local", "custom", "ngrok"]), default: "bore",
        doc: "bore (built in, reconnects by itself), ngrok (an agent already running, read from "
            + "127.0.0.1:4040), custom (RUNNER_PUBLIC_URL) or local (no tunnel)")
    public static let runnerTunnelServerUrl = SettingKey(
        "RUNNER_TUNNEL_SERVER_URL", .string, default: "bore.pub",
        doc: "the bore server, host or host:control-port (control port 7835 unless given)")
    public static let runnerTunnelPort = SettingKey(
        "RUNNER_TUNNEL_PORT", .int(minimum: 0), default: "0",
        doc: "the public port to ask the bore server for; 0 = any free port")
    public static let runnerTunnelSecret = SettingKey(
        "RUNNER_TUNNEL_SECRET", .string, default: "",
        doc: "the secret of a private bore server (bore server --secret); empty for bore.pub", isSecret: true)
    public static let runnerPublicHost = SettingKey(
        "RUNNER_PUBLIC_HOST", .string, default: "127.0.0.1",
        doc: "without a tunnel: the host name or address the server uses to reach this node's webhook")
    public static let runnerPublicUrl = SettingKey(
        "RUNNER_PUBLIC_URL", .string, default: "",
        doc: "the webhook's public URL behind an operator's own reverse proxy (tunnel type custom); "
            + "/webhook is appended to a bare origin")
    public static let runnerMetricsAddr = SettingKey(
        "RUNNER_METRICS_ADDR", .string, default: "127.0.0.1:9464",
        doc: "host:port serving Prometheus /metrics; empty turns it off")
}
