/// A command's declaration: written once, as data, it drives parsing (`Arguments`), `--help` (`Help`)
/// and the shell completions (`Completions`), so the three cannot drift apart.
public struct Command: Sendable {
    public var name: String
    public var summary: String
    /// Positional arguments as the synopsis shows them, e.g. `"CID"` or `"[UPDATE...]"`; empty for none.
    public var arguments: String
    /// How many positional arguments the command takes at most (`nil`: any number).
    public var maxPositionals: Int?
    public var options: [Option]
    /// Copy-paste examples for `--help`; at least one for every runnable command.
    public var examples: [String]
    public var subcommands: [Command]
    /// The subcommand run when the first word is not a subcommand (`prty-train` → `fit`).
    public var defaultSubcommand: String?
    /// Extra paragraphs for `--help` (what is read and written, defaults).
    public var discussion: String

    public init(
        _ name: String, summary: String, arguments: String = "", maxPositionals: Int? = 0,
        options: [Option] = [], examples: [String] = [], subcommands: [Command] = [],
        defaultSubcommand: String? = nil, discussion: String = ""
    ) {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        self.maxPositionals = maxPositionals
        self.options = options
        self.examples = examples
        self.subcommands = subcommands
        self.defaultSubcommand = defaultSubcommand
        self.discussion = discussion
    }

    public func subcommand(named name: String) -> Command? { subcommands.first { $0.name == name } }

    /// The options this command accepts: its own, then the global ones every command takes.
    public var allOptions: [Option] { options + Option.global }
}

/// One `--long`/`-s` option of a command.
public struct Option: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// A switch: `--stats`.
        case none
        /// Takes one value, named by the placeholder in help: `--task FILE|JSON`. Given twice, the last wins.
        case single(String)
        /// Takes one value and may be given several times: `--gateway URL --gateway URL`.
        case repeated(String)
    }

    /// What a shell should offer for the value.
    public enum Completion: Sendable, Equatable {
        case none, file, directory
        case choices([String])
    }

    public var long: String
    public var short: Character?
    public var value: Value
    public var help: String
    public var completion: Completion

    public init(_ long: String, short: Character? = nil, value: Value = .none, help: String,
                completion: Completion = .none) {
        precondition(!long.hasPrefix("-"), "declare option names without dashes")
        self.long = long
        self.short = short
        self.value = value
        self.help = help
        self.completion = completion
    }

    public var takesValue: Bool { value != .none }

    /// Accepted by every command of every tool.
    public static let global: [Option] = [
        Option("help", short: "h", help: "show this help and exit"),
        Option("version", help: "print the version and exit"),
        Option("log-format", value: .single("human|json"),
               help: "stderr as lines for people (default) or NDJSON events; env PRTY_LOG_FORMAT",
               completion: .choices(["human", "json"])),
        Option("config-path", value: .single("FILE"),
               help: "the .env file to read (default: PARITY_CONFIG_PATH, else ./.env)", completion: .file),
    ]
}
