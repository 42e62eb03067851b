import Testing
@testable import Shared

struct ArgumentsTests {
    static let tool = Command(
        "prty-demo", summary: "demo",
        subcommands: [
            Command("fit", summary: "fit", arguments: "[FILE]", maxPositionals: 1,
                    options: [Option("task", short: "t", value: .single("FILE"), help: "task"),
                              Option("stats", help: "stats"),
                              Option("gateway", value: .repeated("URL"), help: "gateway"),
                              Option("take", value: .single("train|test"), help: "take",
                                     completion: .choices(["train", "test"]))]),
            Command("aggregate", summary: "aggregate", arguments: "UPDATE...", maxPositionals: nil),
        ],
        defaultSubcommand: "fit")

    func run(_ words: [String]) throws -> Arguments {
        guard case .run(let arguments) = try Arguments.parse(words, for: Self.tool) else {
            Issue.record("expected a runnable command line")
            throw UsageError("not runnable")
        }
        return arguments
    }

    @Test func defaultSubcommandTakesOptions() throws {
        let arguments = try run(["--task", "t.json", "--stats", "data.csv"])
        #expect(arguments.path == ["prty-demo", "fit"])
        #expect(arguments.value("task") == "t.json")
        #expect(arguments.flag("stats"))
        #expect(arguments.positionals == ["data.csv"])
    }

    @Test func shortEqualsAndRepeatedForms() throws {
        let arguments = try run(["fit", "-t", "a", "--task=b", "--gateway", "x", "--gateway=y"])
        #expect(arguments.value("task") == "b")
        #expect(arguments.values("gateway") == ["x", "y"])
    }

    @Test func namedSubcommandAndDoubleDash() throws {
        let arguments = try run(["aggregate", "a.json", "--", "--not-an-option"])
        #expect(arguments.path == ["prty-demo", "aggregate"])
        #expect(arguments.positionals == ["a.json", "--not-an-option"])
    }

    @Test(arguments: [
        (["--bogus"], "unknown option '--bogus'"),
        (["fit", "--task"], "option --task needs a value"),
        (["fit", "a", "b"], "too many arguments"),
        (["fit", "--stats=yes"], "takes no value"),
        (["fit", "--take", "all"], "must be one of train, test"),
    ])
    func badCommandLinesAreUsageErrors(words: [String], message: String) {
        #expect {
            _ = try Arguments.parse(words, for: Self.tool)
        } throws: { error in
            (error as? UsageError)?.message.contains(message) == true && (error as? UsageError)?.exitStatus == .usage
        }
    }

    @Test func helpAndVersionWinAnywhere() throws {
        guard case .help(let command, let path) = try Arguments.parse(["aggregate", "--help"], for: Self.tool) else {
            Issue.record("expected help")
            return
        }
        #expect(command.name == "aggregate")
        #expect(path == ["prty-demo", "aggregate"])
        guard case .help(let root, _) = try Arguments.parse(["--help"], for: Self.tool) else {
            Issue.record("expected tool help")
            return
        }
        #expect(root.name == "prty-demo")
        guard case .version = try Arguments.parse(["fit", "--version"], for: Self.tool) else {
            Issue.record("expected version")
            return
        }
    }

    @Test func typedValuesAreChecked() throws {
        let arguments = try run(["--task", "abc"])
        #expect(throws: UsageError.self) { _ = try arguments.int("task") }
        #expect(try run(["--task", "7"]).int("task", in: 1...10) == 7)
        #expect(throws: UsageError.self) { _ = try run(["--task", "70"]).int("task", in: 1...10) }
    }

    @Test func negativeNumbersArePositionals() throws {
        #expect(try run(["-1.5"]).positionals == ["-1.5"])
    }

    @Test func helpListsEveryOptionAndExitStatus() {
        let text = Help.render(Self.tool.subcommands[0], path: ["prty-demo", "fit"])
        for option in Self.tool.subcommands[0].allOptions { #expect(text.contains("--\(option.long)")) }
        #expect(text.contains("130  interrupted"))
    }
}
