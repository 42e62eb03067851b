import Foundation

/// The configuration layer. Each value comes from the first of: the command-line flag, the environment variable,
/// the `.env` file (`--config-path FILE`, else `PARITY_CONFIG_PATH`, else `./.env`), the documented default in
/// `SettingKey`. An empty value counts as not set, so `KEY=` in a file falls through to the default.
///
///     let settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
///     let gateways = try settings.list(.ipfsGateways, flag: "gateway")   // --gateway URL, may repeat
///     let timeout = try settings.duration(.ipfsTimeout, flag: "timeout") // seconds, from --timeout 30s
///     let cacheLimit = try settings.size(.ipfsCacheMaxBytes)            // bytes
///     let cacheDir = settings.path(.ipfsCacheDir)                        // "~/" expanded
///     let maxTrees = try settings.int(.trainMaxTrees)
///
/// `flag:` names the tool's option (long name, no dashes) that overrides the key; a bad flag value is a usage
/// error (exit 64) naming the flag, a bad environment or file value a `ConfigError` (exit 78) naming key,
/// value and where it was set. Values are checked when read, so a tool fails only on the keys it uses.
public struct Settings: Sendable {
    /// Where a value came from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case flag(String)
        case environment
        case file(path: String, line: Int)
        case defaultValue

        public var description: String {
            switch self {
            case .flag(let name): "flag --\(name)"
            case .environment: "set in the environment"
            case .file(let path, let line): "set in \(path) line \(line)"
            case .defaultValue: "the documented default"
            }
        }
    }

    /// The parsed command line whose options `flag:` refers to.
    public let arguments: Arguments?
    public let environment: [String: String]
    /// The `.env` file read, if any, and its path.
    public let file: DotEnv?
    public let filePath: String?

    public init(
        arguments: Arguments? = nil, environment: [String: String] = [:], file: DotEnv? = nil, filePath: String? = nil
    ) {
        self.arguments = arguments
        self.environment = environment
        self.file = file
        self.filePath = filePath
    }

    /// Keys in the `.env` file that no `SettingKey` declares, in file order.
    public var unknownKeys: [String] {
        var seen = Set<String>()
        return (file?.entries ?? []).map(\.key).filter { SettingKey.named($0) == nil && seen.insert($0).inserted }
    }

    /// Reads the `.env` file that `--config-path`, `PARITY_CONFIG_PATH` or the current directory names and
    /// warns once (on `log`) about keys it does not know. A file named explicitly must exist; `./.env` may not.
    public static func load(
        arguments: Arguments, environment: [String: String] = ProcessInfo.processInfo.environment, log: Log? = nil
    ) throws(ConfigError) -> Settings {
        guard let (file, path) = try readFile(arguments: arguments, environment: environment) else {
            return Settings(arguments: arguments, environment: environment)
        }
        let settings = Settings(arguments: arguments, environment: environment, file: file, filePath: path)
        let unknown = settings.unknownKeys
        if !unknown.isEmpty {
            let log = log ?? Log(tool: arguments.path.first ?? "prty", format: settings.logFormat)
            log.warning(
                "config_unknown_keys", "ignoring unknown keys in \(path): \(unknown.joined(separator: ", "))",
                ["keys": .strings(unknown), "path": .string(path)])
        }
        return settings
    }

    /// `PRTY_LOG_FORMAT` as the `.env` file sets it, for `Tool.run`, which settles the log format (after the
    /// flag and the environment variable) before a tool loads its settings. Quiet: no unknown-key warning.
    public static func logFormatInFile(arguments: Arguments, environment: [String: String]) throws(ConfigError)
        -> Log.Format?
    {
        guard let (file, path) = try readFile(arguments: arguments, environment: environment),
            let text = file.values[SettingKey.logFormat.name], !text.isEmpty
        else { return nil }
        guard let format = Log.Format(rawValue: text) else {
            let source = Source.file(path: path, line: file.line(of: SettingKey.logFormat.name) ?? 0)
            throw ConfigError(
                "\(SettingKey.logFormat.name)=\(text.debugDescription) is not valid: expected "
                    + "\(SettingKey.logFormat.expected) (\(source))")
        }
        return format
    }

    /// The `.env` file and its path: `--config-path`, else `PARITY_CONFIG_PATH` (both must exist), else `./.env`
    /// when there is one.
    private static func readFile(arguments: Arguments, environment: [String: String]) throws(ConfigError)
        -> (DotEnv, String)?
    {
        var path = ".env"
        var source: String? = nil
        if let flag = arguments.value("config-path") {
            (path, source) = (flag, "--config-path")
        } else if let variable = environment["PARITY_CONFIG_PATH"], !variable.isEmpty {
            (path, source) = (variable, "PARITY_CONFIG_PATH")
        }
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOENT {
            guard let source else { return nil }
            throw ConfigError("the config file \(path) (from \(source)) does not exist")
        }
        if source == nil { path = "./.env" }
        return (try DotEnv.load(path: path), path)
    }

    /// The raw text of `key` and where it came from; the default when nothing sets it.
    public func lookup(_ key: SettingKey, flag: String? = nil) -> (text: String, source: Source) {
        if let flag, let value = arguments?.value(flag) { return (value, .flag(flag)) }
        if let value = environment[key.name], !value.isEmpty { return (value, .environment) }
        if let file, let value = file.values[key.name], !value.isEmpty {
            return (value, .file(path: filePath ?? ".env", line: file.line(of: key.name) ?? 0))
        }
        return (key.defaultValue, .defaultValue)
    }

    // MARK: Typed values

    /// A string value (may be empty when the key has no default).
    public func string(_ key: SettingKey, flag: String? = nil) -> String {
        lookup(key, flag: flag).text
    }

    /// A path, with a leading `~` or `~/` replaced by the home directory.
    public func path(_ key: SettingKey, flag: String? = nil) -> String {
        let text = lookup(key, flag: flag).text
        guard text == "~" || text.hasPrefix("~/") else { return text }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + text.dropFirst()
    }

    /// A whole number at least the key's minimum (`2e9` is accepted for 2000000000).
    public func int(_ key: SettingKey, flag: String? = nil) throws -> Int {
        let (text, source) = lookup(key, flag: flag)
        let minimum = if case .int(let minimum) = key.kind { minimum } else { Int.min }
        guard let value = Self.parseInt(text), value >= minimum else { throw invalid(key, text, source) }
        return value
    }

    /// A duration in seconds (Go syntax: `300ms`, `30s`, `1h30m`); negative values are refused.
    public func duration(_ key: SettingKey, flag: String? = nil) throws -> Double {
        let (text, source) = lookup(key, flag: flag)
        guard let nanoseconds = try? GoDuration.nanoseconds(text), nanoseconds >= 0 else {
            throw invalid(key, text, source)
        }
        return Double(nanoseconds) / 1e9
    }

    /// A size in bytes (`512m`, `2g`, `1024`).
    public func size(_ key: SettingKey, flag: String? = nil) throws -> Int64 {
        let (text, source) = lookup(key, flag: flag)
        guard let bytes = try? Size.bytes(text) else { throw invalid(key, text, source) }
        return bytes
    }

    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any case.
    public func bool(_ key: SettingKey, flag: String? = nil) throws -> Bool {
        if let flag, arguments?.flag(flag) == true, arguments?.value(flag) == "" { return true }  // a switch
        let (text, source) = lookup(key, flag: flag)
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw invalid(key, text, source)
        }
    }

    /// An `http://` or `https://` URL.
    public func url(_ key: SettingKey, flag: String? = nil) throws -> URL {
        let (text, source) = lookup(key, flag: flag)
        guard let url = Self.parseURL(text) else { throw invalid(key, text, source) }
        return url
    }

    /// A comma-separated list, blanks trimmed and empty items dropped. A repeatable flag overrides the whole
    /// list, and each of its values may itself hold commas. For a `.urlList` key every item must be a URL;
    /// a trailing `/` is removed.
    public func list(_ key: SettingKey, flag: String? = nil) throws -> [String] {
        let texts: [String]
        let source: Source
        if let flag, let values = arguments?.values(flag), !values.isEmpty {
            (texts, source) = (values, .flag(flag))
        } else {
            let found = lookup(key)
            (texts, source) = ([found.text], found.source)
        }
        var items: [String] = []
        for text in texts {
            for part in text.split(separator: ",") {
                var item = part.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else { continue }
                if key.kind == .urlList {
                    guard Self.parseURL(item) != nil else { throw invalid(key, text, source) }
                    while item.hasSuffix("/") { item.removeLast() }
                }
                items.append(item)
            }
        }
        return items
    }

    /// A `.urlList` key as URLs.
    public func urls(_ key: SettingKey, flag: String? = nil) throws -> [URL] {
        try list(key, flag: flag).compactMap { URL(string: $0) }
    }

    /// One of the words a `.choice` key allows.
    public func choice(_ key: SettingKey, flag: String? = nil) throws -> String {
        let (text, source) = lookup(key, flag: flag)
        guard case .choice(let words) = key.kind, words.contains(text) else { throw invalid(key, text, source) }
        return text
    }

    /// The log format: `--log-format`, else `PRTY_LOG_FORMAT` from the environment or the file; `human` when
    /// none of them holds a valid word (the tool has already refused a bad flag or variable).
    public var logFormat: Log.Format {
        (try? choice(.logFormat, flag: "log-format")).flatMap(Log.Format.init(rawValue:)) ?? .human
    }

    /// Checks every declared key that the environment or the file sets, so a daemon can refuse a bad
    /// configuration at start instead of at first use.
    public func validateAll() throws {
        for key in SettingKey.all {
            switch key.kind {
            case .string, .path: _ = string(key)
            case .int: _ = try int(key)
            case .duration: _ = try duration(key)
            case .size: _ = try size(key)
            case .bool: _ = try bool(key)
            case .url: _ = try url(key)
            case .urlList: _ = try list(key)
            case .choice: _ = try choice(key)
            }
        }
    }

    // MARK: Errors and parsing

    /// A usage error for a flag, a configuration error for everything else.
    private func invalid(_ key: SettingKey, _ text: String, _ source: Source) -> any Error {
        if case .flag(let name) = source {
            return UsageError("--\(name) expects \(key.expected), got '\(text)'")
        }
        let shown = key.isSecret ? "(hidden)" : text.debugDescription
        return ConfigError("\(key.name)=\(shown) is not valid: expected \(key.expected) (\(source))")
    }

    static func parseInt(_ text: String) -> Int? {
        if let value = Int(text) { return value }
        guard let value = Double(text), value.isFinite, value.rounded() == value, abs(value) < 9.0e18 else {
            return nil
        }
        return Int(value)
    }

    static func parseURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }
}
