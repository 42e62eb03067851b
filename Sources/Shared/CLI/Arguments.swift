/// A command line parsed against its `Command` declaration: which (sub)command, the options given, the
/// positional arguments. Every check that needs only the words happens here, before anything runs.
public struct Arguments: Sendable {
    /// The tool and subcommand names, e.g. `["prty-train", "aggregate"]`.
    public let path: [String]
    public let command: Command
    public let positionals: [String]
    private let given: [String: [String]]

    public enum Outcome: Sendable {
        case run(Arguments)
        case help(Command, path: [String])
        case version
    }

    /// Parses `words` (without the program name) for the tool declared by `root`.
    public static func parse(_ words: [String], for root: Command) throws(UsageError) -> Outcome {
        var command = root
        var path = [root.name]
        var rest = words[...]
        while !command.subcommands.isEmpty {
            if let word = rest.first, let sub = command.subcommand(named: word) {
                rest = rest.dropFirst()
                command = sub
            } else if rest.first == "--help" || rest.first == "-h" {
                return .help(command, path: path)
            } else if rest.first == "--version" {
                return .version
            } else if let name = command.defaultSubcommand, let sub = command.subcommand(named: name) {
                command = sub
            } else if rest.isEmpty {
                return .help(command, path: path)
            } else {
                let names = command.subcommands.map(\.name).joined(separator: ", ")
                throw UsageError("unknown command '\(rest.first!)' for \(path.joined(separator: " ")); "
                    + "expected one of: \(names)")
            }
            path.append(command.name)
        }

        var given: [String: [String]] = [:]
        var positionals: [String] = []
        let options = command.allOptions
        let where_ = "run '\(path.joined(separator: " ")) --help' for the options"
        while let word = rest.popFirst() {
            if word == "--" {
                positionals.append(contentsOf: rest)
                break
            }
            guard word.hasPrefix("-"), word != "-" else {
                positionals.append(word)
                continue
            }
            var inlineValue: String? = nil
            let option: Option?
            if word.hasPrefix("--") {
                var name = word.dropFirst(2)
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = name[..<equals]
                }
                option = options.first { $0.long == name }
                if option == nil, Double(word) == nil {
                    throw UsageError("unknown option '--\(name)' for \(path.joined(separator: " ")); \(where_)")
                }
            } else if word.count == 2, let short = word.last {
                option = options.first { $0.short == short }
                if option == nil, Double(word) == nil {
                    throw UsageError("unknown option '\(word)' for \(path.joined(separator: " ")); \(where_)")
                }
            } else {
                option = nil
                if Double(word) == nil {
                    throw UsageError("unknown option '\(word)' for \(path.joined(separator: " ")); \(where_)")
                }
            }
            guard let option else {  // a negative number such as -1.5 is a positional argument
                positionals.append(word)
                continue
            }
            if option.long == "help" { return .help(command, path: path) }
            if option.long == "version" { return .version }
            if option.takesValue {
                guard let value = inlineValue ?? rest.popFirst() else {
                    throw UsageError("option --\(option.long) needs a value (\(option.placeholder)); \(where_)")
                }
                if case .choices(let choices) = option.completion, !choices.contains(value) {
                    throw UsageError("option --\(option.long) must be one of \(choices.joined(separator: ", ")), "
                        + "got '\(value)'")
                }
                given[option.long, default: []].append(value)
            } else {
                if inlineValue != nil { throw UsageError("option --\(option.long) takes no value") }
                given[option.long, default: []].append("")
            }
        }
        if let max = command.maxPositionals, positionals.count > max {
            let extra = positionals[max]
            throw UsageError(max == 0
                ? "\(path.joined(separator: " ")) takes no arguments, got '\(extra)'; \(where_)"
                : "too many arguments for \(path.joined(separator: " ")) (at most \(max)): '\(extra)'")
        }
        return .run(Arguments(path: path, command: command, positionals: positionals, given: given))
    }

    /// Whether a switch (or any option) was given.
    public func flag(_ long: String) -> Bool { given[long] != nil }

    /// The value of a single-valued option; the last one when it was given several times.
    public func value(_ long: String) -> String? { given[long]?.last }

    /// Every value of a repeatable option, in order.
    public func values(_ long: String) -> [String] { given[long] ?? [] }

    /// An integer option, checked against `range`.
    public func int(_ long: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int? {
        guard let text = value(long) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(long) expects an integer in \(Self.describe(range)), got '\(text)'")
        }
        return number
    }

    /// A finite floating-point option, checked against `range`.
    public func double(_ long: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude
        ... Double.greatestFiniteMagnitude) throws(UsageError) -> Double? {
        guard let text = value(long) else { return nil }
        guard let number = Double(text), number.isFinite, range.contains(number) else {
            throw UsageError("--\(long) expects a number in [\(range.lowerBound), \(range.upperBound)], got '\(text)'")
        }
        return number
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int.min, Int.max): "any range"
        case (let low, Int.max): "\(low)..."
        default: "\(range.lowerBound)...\(range.upperBound)"
        }
    }
}

extension Option {
    /// `FILE` for `--task FILE`, `human|json` for `--log-format`.
    public var placeholder: String {
        switch value {
        case .none: ""
        case .single(let name), .repeated(let name): name
        }
    }
}
