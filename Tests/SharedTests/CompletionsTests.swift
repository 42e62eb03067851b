import Testing

@testable import Shared

struct CompletionsTests {
    static let tool = Command(
        "prty-demo", summary: "demo",
        subcommands: [
            Command(
                "fit", summary: "fit a model", arguments: "[FILE]", maxPositionals: 1,
                options: [
                    Option("task", short: "t", value: .single("FILE"), help: "the task", completion: .file),
                    Option("stats", help: "print stats"),
                    Option("gateway", short: "g", value: .repeated("URL"), help: "a gateway"),
                    Option("cache-dir", value: .single("DIR"), help: "cache", completion: .directory),
                    Option(
                        "take", value: .single("train|test"), help: "which part",
                        completion: .choices(["train", "test"])),
                ]),
            Command(
                "aggregate", summary: "combine updates", arguments: "UPDATE...", maxPositionals: nil,
                options: [
                    Option(
                        "method", value: .single("NAME"), help: "how",
                        completion: .choices(["fedavg", "median"]))
                ]),
            Command(
                "keys", summary: "key tools",
                subcommands: [
                    Command("show", summary: "show a key", options: [Option("reveal", help: "print the secret")])
                ]),
        ],
        defaultSubcommand: "fit")

    @Test(arguments: Completions.Shell.allCases)
    func everyOptionOfEveryCommandIsInTheScript(shell: Completions.Shell) {
        let script = Completions.script(for: Self.tool, shell: shell)
        for (path, command) in Completions.commands(Self.tool) {
            for sub in command.subcommands { #expect(script.contains(sub.name), "\(shell): subcommand \(sub.name)") }
            guard command.subcommands.isEmpty else { continue }
            for option in command.allOptions {
                let long = shell == .fish ? "-l \(option.long) " : "--\(option.long)"
                #expect(script.contains(long), "\(shell): \(path.joined(separator: " ")) --\(option.long)")
                if let short = option.short {
                    let form =
                        switch shell {
                        case .bash: " -\(short) "
                        case .zsh: "{-\(short),--\(option.long)}"
                        case .fish: "-l \(option.long) -s \(short) "
                        }
                    #expect(script.contains(form), "\(shell): \(path.joined(separator: " ")) -\(short)")
                }
                if case .choices(let choices) = option.completion {
                    #expect(script.contains(choices.joined(separator: " ")), "\(shell): choices of --\(option.long)")
                }
            }
        }
    }

    @Test func valueKindsMapToShellActions() {
        let bash = Completions.script(for: Self.tool, shell: .bash)
        #expect(bash.contains("--task|-t) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f"))
        #expect(bash.contains("--cache-dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d"))
        #expect(bash.contains("--gateway|-g) return ;;"))
        #expect(bash.contains("'prty-demo') path='prty-demo fit' ;;"))
        #expect(bash.contains("complete -F _prty_demo prty-demo"))
        let zsh = Completions.script(for: Self.tool, shell: .zsh)
        #expect(zsh.hasPrefix("#compdef prty-demo\n"))
        #expect(zsh.contains("'(-t --task)'{-t,--task}'[the task]:FILE:_files'"))
        #expect(zsh.contains("'*'{-g,--gateway}'[a gateway]:URL: '"))
        #expect(zsh.contains("'--cache-dir[cache]:DIR:_files -/'"))
        #expect(zsh.contains("'--take[which part]:train|test:(train test)'"))
        #expect(zsh.contains("_prty_demo_keys_show()"))
        let fish = Completions.script(for: Self.tool, shell: .fish)
        #expect(fish.contains("-l task -s t -r -F -d 'the task'"))
        #expect(fish.contains("-l cache-dir -x -a '(__fish_complete_directories)'"))
        #expect(fish.contains("-l take -x -a 'train test'"))
        #expect(fish.contains("-a 'fit' -d 'fit a model (default)'"))
    }

    @Test func quotesInHelpTextsAreEscaped() {
        let command = Command(
            "prty-q", summary: "q",
            options: [
                Option("weird", value: .single("A:B"), help: "it's [odd]: \\ really", completion: .choices(["x"]))
            ])
        #expect(
            Completions.script(for: command, shell: .zsh)
                .contains(#"'--weird[it'\''s \[odd\]\: \\ really]:A\:B:(x)'"#))
        #expect(Completions.script(for: command, shell: .fish).contains(#"-d 'it\'s [odd]: \\ really'"#))
    }

    @Test func respondHandlesTheCompletionsWord() throws {
        #expect(try Completions.respond(to: ["completions", "bash"], for: Self.tool)?.contains("complete -F") == true)
        #expect(try Completions.respond(to: ["completions", "zsh"], for: Self.tool)?.hasPrefix("#compdef") == true)
        #expect(
            try Completions.respond(to: ["completions", "--help"], for: Self.tool)?
                .hasPrefix("prty-demo completions — print a shell completion script") == true)
        #expect(try Completions.respond(to: ["fit", "completions"], for: Self.tool) == nil)
        #expect(try Completions.respond(to: [], for: Self.tool) == nil)
        let own = Command("prty-own", summary: "s", subcommands: [Command("completions", summary: "mine")])
        #expect(try Completions.respond(to: ["completions", "bash"], for: own) == nil)
    }

    @Test(arguments: [["completions"], ["completions", "tcsh"], ["completions", "bash", "zsh"]])
    func badShellIsUsageError(words: [String]) {
        #expect {
            _ = try Completions.respond(to: words, for: Self.tool)
        } throws: { error in
            (error as? UsageError)?.message.hasPrefix("completions expects one shell: bash, zsh or fish") == true
        }
    }
}
