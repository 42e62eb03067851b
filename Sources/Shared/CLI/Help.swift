/// `--help` text, rendered from a command's declaration.
public enum Help {
    public static func render(_ command: Command, path: [String]) -> String {
        let name = path.joined(separator: " ")
        var lines = ["\(name) — \(command.summary)", ""]
        var synopsis = "usage: \(name)"
        if !command.subcommands.isEmpty {
            synopsis += command.defaultSubcommand.map { " [COMMAND (default: \($0))]" } ?? " COMMAND"
        }
        if !command.options.isEmpty { synopsis += " [OPTIONS]" }
        if !command.arguments.isEmpty { synopsis += " \(command.arguments)" }
        lines.append(synopsis)
        if !command.discussion.isEmpty { lines += ["", command.discussion] }
        if !command.subcommands.isEmpty {
            lines += ["", "Commands:"]
            let width = command.subcommands.map(\.name.count).max() ?? 0
            for sub in command.subcommands {
                let mark = sub.name == command.defaultSubcommand ? " (default)" : ""
                lines.append("  \(sub.name.padding(width))  \(sub.summary)\(mark)")
            }
            lines.append("Run '\(name) COMMAND --help' for a command's options.")
        }
        if !command.options.isEmpty {
            lines += ["", "Options:"] + table(command.options)
        }
        lines += ["", "Global options:"] + table(Option.global)
        if path.count == 1 {
            lines += ["", "Shell completion: '\(name) completions bash|zsh|fish' prints a script."]
        }
        if !command.examples.isEmpty {
            lines += ["", "Examples:"] + command.examples.map { "  \($0)" }
        }
        lines += ["", "Exit status:"]
        lines += ExitStatus.allCases.map { "  \(String($0.rawValue).padding(3))  \($0.meaning)" }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func table(_ options: [Option]) -> [String] {
        let heads = options.map { option in
            let short = option.short.map { "-\($0), " } ?? "    "
            let value = option.takesValue ? " \(option.placeholder)" : ""
            let again = if case .repeated = option.value { " ..." } else { "" }
            return "  \(short)--\(option.long)\(value)\(again)"
        }
        let width = min(heads.map(\.count).max() ?? 0, 36)
        return zip(heads, options).map { head, option in
            head.count > width
                ? "\(head)\n\(String(repeating: " ", count: width + 2))\(option.help)"
                : "\(head.padding(width))  \(option.help)"
        }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
