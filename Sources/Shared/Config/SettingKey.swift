/// One configuration key, declared as data: its name, what kind of value it takes, its documented default and
/// a one-line doc. `SettingKey.all` is the registry: `Settings` checks values against it, warns about unknown
/// keys, and `.env.sample` is generated from it (`SettingKey.sample`), so the three cannot drift apart.
///
/// To add a key: declare a `static let` below, append it to `all`, read it through `Settings`, and regenerate
/// `.env.sample` (the `SettingsTests` failure message prints the new text).
public struct SettingKey: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case string
        /// A file system path; a leading `~/` means the home directory.
        case path
        /// An integer, at least `minimum`.
        case int(minimum: Int)
        /// A Go duration (`30s`, `1h30m`), not negative.
        case duration
        /// A byte size (`512m`, `2g`).
        case size
        /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
        case bool
        /// An `http://` or `https://` URL.
        case url
        /// Comma-separated `http(s)://` origins or URLs.
        case urlList
        /// One of a fixed set of words.
        case choice([String])
    }

    public let name: String
    public let kind: Kind
    /// The documented default as it would be written in `.env`; empty for "not set".
    public let defaultValue: String
    public let doc: String
    /// Values of secret keys are never printed, not even in error messages.
    public let isSecret: Bool

    public init(_ name: String, _ kind: Kind, default defaultValue: String, doc: String, isSecret: Bool = false) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
        self.isSecret = isSecret
    }

    public var description: String { name }

    /// What a valid value looks like, for error messages: "expected …".
    public var expected: String {
        switch kind {
        case .string, .path: "a non-empty value"
        case .int(let minimum): minimum == 0 ? "a whole number ≥ 0" : "a whole number ≥ \(minimum)"
        case .duration: "a duration such as 30s, 1m30s or 1.5h (a unit is required)"
        case .size: "a size such as 512m or 2g"
        case .bool: "true or false"
        case .url: "an http:// or https:// URL"
        case .urlList: "comma-separated http:// or https:// URLs"
        case .choice(let words): "one of " + words.joined(separator: ", ")
        }
    }
}

// MARK: - The registry

extension SettingKey {
    /// Every key the tools read. Order is the order of `.env.sample`.
    public static let all: [SettingKey] = [
        .ipfsGateways, .ipfsCacheDir, .ipfsCacheMaxBytes, .ipfsTimeout, .ipfsMaxBytes,
        .trainMaxTrees, .trainMaxDepth, .trainMaxEpochSamples, .trainMaxLayerSize, .trainMaxParameters,
        .logFormat, .prtyBinDir,
    ] + identityKeys + runnerKeys + tunnelKeys + execKeys + blockchainKeys

    /// The declared key called `name`, if any.
    public static func named(_ name: String) -> SettingKey? { all.first { $0.name == name } }

    // MARK: IPFS retrieval (prty-fetch)

    public static let ipfsGateways = SettingKey(
        "IPFS_GATEWAYS", .urlList, default: "https://trustless-gateway.link,https://ipfs.io,https://dweb.link",
        doc: "IPFS gateways to retrieve from, comma-separated origins, tried in order (flag --gateway)")
    public static let ipfsCacheDir = SettingKey(
        "IPFS_CACHE_DIR", .path, default: "~/.parity/ipfs",
        doc: "where verified IPFS blocks are cached between runs")
    public static let ipfsCacheMaxBytes = SettingKey(
        "IPFS_CACHE_MAX_BYTES", .size, default: "2g",
        doc: "the block cache's size limit; the least recently used blocks are evicted beyond it")
    public static let ipfsTimeout = SettingKey(
        "IPFS_TIMEOUT", .duration, default: "60s",
        doc: "timeout of one gateway request (Go duration: 300ms, 30s, 1m30s)")
    public static let ipfsMaxBytes = SettingKey(
        "IPFS_MAX_BYTES", .size, default: "4g",
        doc: "the largest dataset or file a task may fetch")

    // MARK: Operator caps on what a task may ask of prty-train

    public static let trainMaxTrees = SettingKey(
        "TRAIN_MAX_TREES", .int(minimum: 1), default: "1000",
        doc: "most trees a random-forest task may ask for")
    public static let trainMaxDepth = SettingKey(
        "TRAIN_MAX_DEPTH", .int(minimum: 0), default: "64",
        doc: "deepest tree a random-forest task may ask for; 0 = no cap (tasks may then ask for unlimited depth)")
    public static let trainMaxEpochSamples = SettingKey(
        "TRAIN_MAX_EPOCH_SAMPLES", .int(minimum: 1), default: "2000000000",
        doc: "most epochs × training samples a neural-network or linear task may ask for")
    public static let trainMaxLayerSize = SettingKey(
        "TRAIN_MAX_LAYER_SIZE", .int(minimum: 1), default: "4096",
        doc: "widest layer (inputs, hidden or outputs) a neural-network task may ask for")
    public static let trainMaxParameters = SettingKey(
        "TRAIN_MAX_PARAMETERS", .int(minimum: 1), default: "50000000",
        doc: "most weights and biases a neural-network task may ask for")

    // MARK: Every tool

    public static let logFormat = SettingKey(
        "PRTY_LOG_FORMAT", .choice(["human", "json"]), default: "human",
        doc: "stderr as lines for people (human) or NDJSON events (json); flag --log-format")
}

// MARK: - .env.sample

extension SettingKey {
    /// The text of `.env.sample`: every declared key with its doc line and default.
    public static func sample(_ keys: [SettingKey] = sampleOrder) -> String {
        var lines = [
            "# prty configuration: copy to .env and edit. Every key here is read by the tools; an unknown key is",
            "# ignored with one warning. Precedence: command-line flag > environment variable > this file",
            "# (--config-path FILE, else PARITY_CONFIG_PATH, else ./.env) > the default written here.",
            "# Generated from Sources/Shared/Config/SettingKey.swift; SettingsTests fails when they differ.",
        ]
        var group = ""
        for key in keys {
            let prefix = String(key.name.prefix { $0 != "_" })
            if prefix != group {
                group = prefix
                lines += ["", "# --- \(groupTitles[prefix] ?? prefix) ---"]
            }
            lines += ["", "# \(key.doc)", "\(key.name)=\(key.defaultValue)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `all`, grouped by prefix in the order each group first appears, so every group has one heading in
    /// `.env.sample` even when a tool declares a key of another group (`PRTY_PASSWORD_FILE` beside `BLOCKCHAIN_*`).
    public static var sampleOrder: [SettingKey] {
        func group(_ key: SettingKey) -> Substring { key.name.prefix { $0 != "_" } }
        var groups: [Substring] = []
        for key in all where !groups.contains(group(key)) { groups.append(group(key)) }
        return groups.flatMap { name in all.filter { group($0) == name } }
    }

    private static let groupTitles = [
        "IPFS": "IPFS retrieval (prty-fetch)",
        "TRAIN": "operator caps on what a task may ask of prty-train",
        "PRTY": "every tool",
        "RUNNER": "the node (prty-runner, prty-exec, prty-wallet)",
        "BLOCKCHAIN": "the chain, the staking contracts and the node's key (prty-wallet)",
    ]
}
