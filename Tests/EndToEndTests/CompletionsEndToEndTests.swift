import Foundation
import Shared
import TestSupport
import Testing

/// The committed completions/ files are what the binaries generate, and real bash, zsh and fish accept them and
/// offer the right candidates.
struct CompletionsEndToEndTests {
    static let tools = ["prty-wallet", "prty-fetch", "prty-partition", "prty-train", "prty-exec", "prty-runner"]
    static let shells = ["bash", "zsh", "fish"]

    static func committed(_ tool: String, _ shell: String) -> URL {
        let name =
            switch shell {
            case "zsh": "_\(tool)"
            case "fish": "\(tool).fish"
            default: tool
            }
        return Paths.root.appendingPathComponent("completions/\(shell)/\(name)")
    }

    /// A shell from the apt packages `make deps` installs; its absence is a failure, not a skip.
    static func shell(_ name: String) throws -> URL {
        for directory in ["/usr/bin", "/bin", "/usr/local/bin"] {
            let url = URL(fileURLWithPath: "\(directory)/\(name)")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw NotFoundError("\(name) is not installed; run 'make deps' (apt packages bash-completion, zsh, fish)")
    }

    @Test(arguments: tools, shells)
    func committedFileMatchesTheBinary(tool: String, shell: String) throws {
        let result = try runTool(tool, ["completions", shell])
        #expect(result.status == 0, "\(result.stderr)")
        let file = Self.committed(tool, shell)
        let committed = try? String(contentsOf: file, encoding: .utf8)
        #expect(
            committed == result.stdoutText,
            "completions/\(shell) for \(tool) differs from '\(tool) completions \(shell)': run make completions")
    }

    @Test(arguments: tools)
    func completionsWordIsAnsweredByEveryTool(tool: String) throws {
        let bad = try runTool(tool, ["completions", "tcsh"])
        #expect(bad.status == 64)
        #expect(bad.stdout.isEmpty)
        #expect(bad.lastErrorLine == "\(tool): completions expects one shell: bash, zsh or fish; got 'tcsh'")
        let help = try runTool(tool, ["completions", "--help"])
        #expect(help.status == 0)
        #expect(
            help.stdoutText.contains("usage: \(tool) completions [OPTIONS] bash|zsh|fish")
                || help.stdoutText.contains("usage: \(tool) completions bash|zsh|fish"))
        let root = try runTool(tool, ["--help"])
        #expect(root.stdoutText.contains("'\(tool) completions bash|zsh|fish'"))
    }

    // MARK: bash

    /// The candidates the committed bash completion offers for `words` (the last one is being completed).
    func bashCandidates(_ words: [String]) throws -> [String] {
        let tool = words[0]
        let script = """
            source "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _\(tool.replacingOccurrences(of: "-", with: "_"))
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try runProcess(
            try Self.shell("bash"),
            ["--norc", "--noprofile", "-c", script, "bash", Self.committed(tool, "bash").path]
                + words, currentDirectory: Paths.root)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdoutText.split(separator: "\n").map(String.init)
    }

    @Test func bashCompletesSubcommandsOptionsAndChoices() throws {
        #expect(try bashCandidates(["prty-train", "agg"]) == ["aggregate"])
        #expect(try bashCandidates(["prty-partition", "--strat"]) == ["--strategy"])
        #expect(
            try bashCandidates(["prty-partition", "--strategy", ""])
                == ["random", "iid", "stratified", "sequential", "non_iid", "dirichlet", "label_skew"])
        #expect(try bashCandidates(["prty-partition", "--log-format", "j"]) == ["json"])
        #expect(try bashCandidates(["prty-fetch", "--ga"]) == ["--gateway"])  // the default subcommand's option
        #expect(try bashCandidates(["prty-fetch", "add", "--cid"]) == ["--cid-version"])
        #expect(try bashCandidates(["prty-partition", "--task", "Package.sw"]) == ["Package.swift"])
        #expect(try bashCandidates(["prty-partition", "--parts", ""]) == [])  // a number: nothing to offer
    }

    @Test func bashOffersEveryOptionOfTheDefaultCommand() throws {
        let help = try runTool("prty-partition", ["--help"]).stdoutText
        let candidates = Set(try bashCandidates(["prty-partition", "-"]))
        // Option rows of the help tables: "  -h, --help  ..." or "      --task FILE  ...": the first --word.
        var options: [String] = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") || line.hasPrefix("      --") {
            if let word = line.split(separator: " ").first(where: { $0.hasPrefix("--") }) {
                options.append(String(word))
            }
        }
        #expect(options.count >= 8)
        for option in options {
            #expect(candidates.contains(option), "bash does not offer \(option)")
        }
    }

    // MARK: zsh and fish

    @Test(arguments: tools)
    func zshAndFishAcceptTheFiles(tool: String) throws {
        let zsh = try runProcess(try Self.shell("zsh"), ["-n", Self.committed(tool, "zsh").path])
        #expect(zsh.status == 0, "zsh -n: \(zsh.stderr)")
        let fish = try runProcess(try Self.shell("fish"), ["--no-config", "-n", Self.committed(tool, "fish").path])
        #expect(fish.status == 0, "fish -n: \(fish.stderr)")
        let bash = try runProcess(try Self.shell("bash"), ["-n", Self.committed(tool, "bash").path])
        #expect(bash.status == 0, "bash -n: \(bash.stderr)")
    }

    /// fish can complete a command line non-interactively (`complete -C`), so its candidates are checked too.
    func fishCandidates(_ line: String) throws -> [String] {
        let tool = String(line.prefix { $0 != " " })
        let result = try runProcess(
            try Self.shell("fish"),
            ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", Self.committed(tool, "fish").path, line],
            currentDirectory: Paths.root)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdoutText.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) }
    }

    @Test func fishCompletesSubcommandsOptionsAndChoices() throws {
        #expect(try fishCandidates("prty-train agg") == ["aggregate"])
        #expect(try fishCandidates("prty-partition --strat") == ["--strategy"])
        #expect(
            Set(try fishCandidates("prty-partition --strategy "))
                == ["random", "iid", "stratified", "sequential", "non_iid", "dirichlet", "label_skew"])
        #expect(try fishCandidates("prty-fetch add --cid") == ["--cid-version"])
        #expect(try fishCandidates("prty-fetch --ga") == ["--gateway"])
    }

    /// Help texts with quotes, brackets, colons and backslashes survive in every shell's syntax.
    @Test func awkwardHelpTextsStayValidInEveryShell() throws {
        let command = Command(
            "prty-q", summary: "it's: [odd]",
            subcommands: [
                Command(
                    "do-it", summary: "a 'quoted' [thing]: yes", arguments: "[FILE]", maxPositionals: 1,
                    options: [
                        Option(
                            "weird", short: "w", value: .single("A:B"), help: "it's [odd]: \\ \"really\" $HOME `x`",
                            completion: .choices(["x", "y"]))
                    ])
            ], defaultSubcommand: "do-it")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for shell in Completions.Shell.allCases {
            let file = directory.appendingPathComponent(shell.rawValue)
            try Data(Completions.script(for: command, shell: shell).utf8).write(to: file)
            let flags = shell == .fish ? ["--no-config", "-n"] : ["-n"]
            let result = try runProcess(try Self.shell(shell.rawValue), flags + [file.path])
            #expect(result.status == 0, "\(shell): \(result.stderr)")
        }
        let fish = try runProcess(
            try Self.shell("fish"),
            [
                "--no-config", "-c", "source $argv[1]; complete -C 'prty-q --weird '",
                directory.appendingPathComponent("fish").path,
            ])
        #expect(fish.stdoutText == "x\tit's [odd]: \\ \"really\" $HOME `x`\ny\tit's [odd]: \\ \"really\" $HOME `x`\n")
    }
}
