/// What prty-runner reads: where the server is, where the webhook listens, how often it heartbeats, how long a
/// task and a shutdown may take, where its state (outbox, dead letters) lives and where the other tools are.
/// See docs/runner.md.
extension SettingKey {
    public static let runnerServerURL = SettingKey(
        "RUNNER_SERVER_URL", .url, default: "http://localhost:8080",
        doc: "the server's origin; /api/v1 is appended (a trailing / or a pasted /api or /api/v1 is tolerated)")
    public static let runnerWebhookPort = SettingKey(
        "RUNNER_WEBHOOK_PORT", .int(minimum: 0), default: "8081",
        doc: "port of the webhook the server rings (POST /webhook); 0 = any free port")
    public static let runnerWebhookHost = SettingKey(
        "RUNNER_WEBHOOK_HOST", .string, default: "0.0.0.0",
        doc: "IPv4 address the webhook listens on (0.0.0.0 = every interface, 127.0.0.1 = this machine only)")
    public static let runnerWebhookSecret = SettingKey(
        "RUNNER_WEBHOOK_SECRET", .string, default: "",
        doc: "when set, webhook requests must carry a valid Standard Webhooks signature (whsec_… or raw secret) "
            + "made within 5 minutes", isSecret: true)
    public static let runnerHeartbeatInterval = SettingKey(
        "RUNNER_HEARTBEAT_INTERVAL", .duration, default: "30s",
        doc: "time between heartbeats (±10% jitter; backs off up to 60s while the server fails)")
    public static let runnerLLMModels = SettingKey(
        "RUNNER_LLM_MODELS", .string, default: "",
        doc: "comma-separated model tags to offer the server (exact tags, e.g. llama2:7b); empty = every model "
            + "prty-exec models reports")
    public static let runnerTaskTimeout = SettingKey(
        "RUNNER_TASK_TIMEOUT", .duration, default: "4m30s",
        doc: "longest a whole task pipeline may run before its process group is killed and a failure is posted "
            + "(keep it under the server's 5-minute stall sweep)")
    public static let runnerShutdownGrace = SettingKey(
        "RUNNER_SHUTDOWN_GRACE", .duration, default: "30s",
        doc: "on SIGINT/SIGTERM, how long the current task may finish and the outbox flush before the node "
            + "cancels them and unregisters (a second signal exits at once)")
    public static let runnerStateDir = SettingKey(
        "RUNNER_STATE_DIR", .path, default: "~/.parity/runner",
        doc: "where the node keeps its result outbox, dead letters, finished task ids and control socket")
    public static let prtyBinDir = SettingKey(
        "PRTY_BIN_DIR", .path, default: "",
        doc: "directory holding prty-exec, prty-fetch, prty-partition, prty-train and prty-wallet; "
            + "empty = the directory of the running prty-runner")

    static let runnerKeys: [SettingKey] = [
        .runnerServerURL, .runnerWebhookPort, .runnerWebhookHost, .runnerWebhookSecret, .runnerHeartbeatInterval,
        .runnerLLMModels, .runnerTaskTimeout, .runnerShutdownGrace, .runnerStateDir,
    ]
}
