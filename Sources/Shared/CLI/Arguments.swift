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
        // Global options may come before the subcommand (`prty-fetch --log-format json parse x.csv`), as in git
        // and cargo: they are set aside here and parsed with the subcommand's own options below.
        var leading: [String] = []
        while !command.subcommands.isEmpty {
            if let word = rest.first, let global = Self.globalOption(word), global.long != "help",
                global.long != "version"
            {
                rest = rest.dropFirst()
                leading.append(word)
                if global.takesValue, !word.contains("="), let value = rest.first {
                    rest = rest.dropFirst()
                    leading.append(value)
                }
                continue
            }
            if let word = rest.first, let sub = command.subcommand(named: word) {
                rest = rest.dropFirst()
                command = sub
            } else if rest.first == "--help" || rest.first == "-h" {
                return .help(command, path: path)
            } else if rest.first == "--version" {
                return .version
            } else if let name = command.defaultSubcommand, let sub = command.subcommand(named: name) {
                // A word that is neither an option nor something the default subcommand takes is a mistyped
                // command (`prty-train evalute`), not an argument of the default one.
                if let word = rest.first, !word.hasPrefix("-") || word == "-", sub.maxPositionals == 0,
                    Double(word) == nil
                {
                    let names = command.subcommands.map(\.name).joined(separator: ", ")
                    throw UsageError("unknown command '\(Excerpt.of(word))' for \(path.joined(separator: " ")); "
                        + "expected one of: \(names)")
                }
                command = sub
            } else if rest.isEmpty {
                return .help(command, path: path)
            } else {
                let names = command.subcommands.map(\.name).joined(separator: ", ")
                throw UsageError("unknown command '\(Excerpt.of(rest.first ?? ""))' for \(path.joined(separator: " ")); "
                    + "expected one of: \(names)")
            }
            path.append(command.name)
        }
        rest = ArraySlice(leading + rest)

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

    /// The global option `word` names (`--log-format`, `--log-format=json`, `--config-path`), if any.
    private static func globalOption(_ word: String) -> Option? {
        guard word.hasPrefix("--") else { return nil }
        let name = word.dropFirst(2).prefix { $0 != "=" }
        return Option.global.first { $0.long == name }
    }

    /// Whether a switch (or any option) was given.
    public func flag(_ long: String) -> Bool { given[long] != nil }

    /// The value of a single-valued option; the last one when it was given several times.
    public func value(_ long: String) -> String? { given[long]?.last }

    /// Every value of a repeatable option, in order.
    public func values(_ long: String) -> [String] { given[long] ?? [] }

    /// An integer option, checked against `range`.
    /// `expected` replaces the range in the message when the value is checked later with its own message
    /// (e.g. "an integer in 1...100000" for a value validated against the data).
    public func int(_ long: String, in range: ClosedRange<Int> = Int.min...Int.max, expected: String? = nil)
        throws(UsageError) -> Int?
    {
        guard let text = value(long) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            let digits = text.drop { $0 == "-" || $0 == "+" }
            let tooLarge = Int(text) == nil && !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            throw UsageError("--\(long) expects \(expected ?? Self.describe(range))\(tooLarge ? " (this one is too large)" : ""), "
                + "got '\(Self.excerpt(text))'")
        }
        return number
    }

    /// A finite floating-point option, checked against `range` (`upperOpen`: the upper bound itself is refused,
    /// as for a fraction in [0, 1)).
    public func double(_ long: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude
        ... Double.greatestFiniteMagnitude, upperOpen: Bool = false, expected: String? = nil) throws(UsageError)
        -> Double?
    {
        guard let text = value(long) else { return nil }
        guard let number = Double(text), number.isFinite, range.contains(number),
            !(upperOpen && number == range.upperBound)
        else {
            throw UsageError("--\(long) expects \(expected ?? Self.describe(range, upperOpen: upperOpen)), got '\(Self.excerpt(text))'")
        }
        return number
    }

    /// "an integer", "an integer ≥ 1" or "an integer in 0...9" (never the machine's Int.min/Int.max).
    static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int.min, Int.max): "an integer"
        case (let low, Int.max): "an integer ≥ \(low)"
        case (Int.min, let high): "an integer ≤ \(high)"
        default: "an integer in \(range.lowerBound)...\(range.upperBound)"
        }
    }

    /// "a finite number", "a number ≥ 0" or "a number in [0, 1)".
    static func describe(_ range: ClosedRange<Double>, upperOpen: Bool = false) -> String {
        let (low, high) = (range.lowerBound, range.upperBound)
        let unboundedLow = low <= -Double.greatestFiniteMagnitude
        let unboundedHigh = high >= Double.greatestFiniteMagnitude
        func text(_ value: Double) -> String { NumberFormat.shortest(value) }
        switch (unboundedLow, unboundedHigh) {
        case (true, true): return "a finite number"
        case (false, true): return "a finite number ≥ \(text(low))"
        case (true, false): return "a number \(upperOpen ? "<" : "≤") \(text(high))"
        case (false, false): return "a number in [\(text(low)), \(text(high))\(upperOpen ? ")" : "]")"
        }
    }

    /// A value as it may appear in a one-line message: control characters escaped, long text elided.
    static func excerpt(_ text: String) -> String { Excerpt.of(text) }
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
