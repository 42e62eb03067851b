import Foundation
import Shared

/// Every setting the node uses, read and checked once at start (a bad value stops it before it listens).
struct NodeConfig: Sendable {
    /// `RUNNER_SERVER_URL` as given, and the API base every call is made under (`<origin>/api/v1`).
    var serverOrigin: String
    var apiBase: String
    var webhookHost: String
    var webhookPort: Int
    var webhookSecret: String
    /// Overrides the URL the node registers (`--webhook-url`); else `WebhookAddress` computes it.
    var webhookURLOverride: String?
    var heartbeatInterval: Double
    var llmModels: [String]
    var taskTimeout: Double
    var shutdownGrace: Double
    var stateDir: String
    var binDir: String
    /// The `.env` file the node read, handed to its children as `PARITY_CONFIG_PATH`.
    var configPath: String?
    /// What the children get of the node's environment: no secrets (see `childEnvironment`).
    var childEnvironment: [String: String]
    /// Added to prty-exec's environment only.
    var execSecrets: [String: String]
    /// How the server reaches the webhook (docs/tunnel.md) and where /metrics listens (nil: off).
    var tunnel = TunnelPlan(mode: .local(host: "127.0.0.1"))
    var metricsAddress: (host: String, port: Int)? = nil

    static func load(_ settings: Settings) throws -> NodeConfig {
        let origin = try settings.url(.runnerServerURL, flag: "server-url").absoluteString
        let host = settings.string(.runnerWebhookHost)
        guard host.split(separator: ".").count == 4, host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) else {
            throw ConfigError(key: SettingKey.runnerWebhookHost.name, value: host, expected: "an IPv4 address")
        }
        let port = try settings.int(.runnerWebhookPort, flag: "port")
        guard port <= 65535 else {
            throw ConfigError(key: SettingKey.runnerWebhookPort.name, value: String(port), expected: "a port 0...65535")
        }
        let interval = try settings.duration(.runnerHeartbeatInterval)
        let taskTimeout = try settings.duration(.runnerTaskTimeout)
        let webhookURL = settings.arguments?.value("webhook-url")
        if let webhookURL, !(webhookURL.hasPrefix("http://") || webhookURL.hasPrefix("https://")) {
            throw UsageError("--webhook-url expects an http:// or https:// URL, got '\(webhookURL)'")
        }
        var config = NodeConfig(
            serverOrigin: origin, apiBase: Self.apiBase(origin: origin), webhookHost: host, webhookPort: port,
            webhookSecret: settings.string(.runnerWebhookSecret), webhookURLOverride: webhookURL,
            heartbeatInterval: interval > 0 ? interval : 30,
            llmModels: settings.string(.runnerLLMModels, flag: "models").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            taskTimeout: taskTimeout > 0 ? taskTimeout : 270,
            shutdownGrace: try settings.duration(.runnerShutdownGrace),
            stateDir: settings.path(.runnerStateDir),
            binDir: Self.binDir(settings.path(.prtyBinDir)),
            configPath: settings.filePath.map(absolute),
            childEnvironment: Self.childEnvironment(settings), execSecrets: Self.execSecrets(settings))
        config.tunnel = try TunnelPlan.resolve(settings, webhookPort: port)
        config.webhookHost = config.tunnel.listenHost(host)
        config.metricsAddress = try MetricsEndpoint.address(settings)
        return config
    }

    /// `http://host:8080`, `http://host:8080/`, `…/api`, `…/api/` and `…/api/v1` all become `http://host:8080/api/v1`.
    static func apiBase(origin: String) -> String {
        var text = origin
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix("/api/v1") { text.removeLast(7) }
        if text.hasSuffix("/api") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        return text + "/api/v1"
    }

    /// `PRTY_BIN_DIR`, else the directory of the running executable (`/proc/self/exe`, else argv[0]).
    static func binDir(_ configured: String) -> String {
        if !configured.isEmpty { return configured }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        return (executable as NSString).deletingLastPathComponent
    }

    /// The children's environment: `PATH`, `HOME`, `TMPDIR`, the locale, the Docker and Ollama locations, and the
    /// node's `RUNNER_*`, `IPFS_*`, `TRAIN_*` and `PRTY_*` settings from its environment, except secrets (a declared
    /// secret key, or a name with SECRET, PASSWORD, PRIVATE, TOKEN or API_KEY in it). `PRTY_LOG_FORMAT=json`
    /// always, and `PARITY_CONFIG_PATH` when the node read a config file (children read their keys from it too).
    static func childEnvironment(_ settings: Settings) -> [String: String] {
        var environment: [String: String] = [:]
        let plain = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "DOCKER_HOST", "OLLAMA_HOST", "USER"]
        for (name, value) in settings.environment {
            if plain.contains(name) {
                environment[name] = value
            } else if ["RUNNER_", "IPFS_", "TRAIN_", "PRTY_"].contains(where: { name.hasPrefix($0) }),
                !isSecret(name)
            {
                environment[name] = value
            }
        }
        if let path = settings.filePath { environment["PARITY_CONFIG_PATH"] = absolute(path) }
        environment["PRTY_LOG_FORMAT"] = "json"
        return environment
    }

    /// A child's own secrets, handed to that child only: prty-exec's LLM API key.
    static func execSecrets(_ settings: Settings) -> [String: String] {
        settings.environment.filter { $0.key == "RUNNER_LLM_API_KEY" && !$0.value.isEmpty }
    }

    static func isSecret(_ name: String) -> Bool {
        if SettingKey.named(name)?.isSecret == true { return true }
        return ["SECRET", "PASSWORD", "PRIVATE", "TOKEN", "API_KEY"].contains { name.contains($0) }
    }

    func tool(_ name: String) -> String { binDir + "/" + name }
}

/// `path` made absolute against the current directory (children may run elsewhere).
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
