import Testing

@testable import Shared

/// Issue 14's command-line and message rules.
struct HardeningTests {
    static let tool = Command(
        "prty-demo", summary: "demo",
        subcommands: [
            Command("fit", summary: "fit", options: [Option("model", value: .single("FILE"), help: "model")]),
            Command("parse", summary: "parse", arguments: "[FILE]", maxPositionals: 1),
        ],
        defaultSubcommand: "fit")

    func run(_ words: [String]) throws -> Arguments {
        guard case .run(let arguments) = try Arguments.parse(words, for: Self.tool) else {
            throw UsageError("not runnable")
        }
        return arguments
    }

    /// `prty-fetch --log-format json parse x.csv` was "too many arguments for prty-fetch get".
    @Test(arguments: [
        ["--log-format", "json", "parse", "x.csv"], ["--log-format=json", "parse", "x.csv"],
        ["parse", "--log-format", "json", "x.csv"], ["parse", "x.csv", "--log-format=json"],
        ["--config-path", "f.env", "--log-format", "json", "parse", "x.csv"],
    ])
    func globalOptionsGoBeforeOrAfterTheSubcommand(words: [String]) throws {
        let arguments = try run(words)
        #expect(arguments.path == ["prty-demo", "parse"])
        #expect(arguments.value("log-format") == "json")
        #expect(arguments.positionals == ["x.csv"])
    }

    @Test func globalOptionsBeforeADefaultSubcommand() throws {
        let arguments = try run(["--config-path", "f.env", "--model", "m.json"])
        #expect(arguments.path == ["prty-demo", "fit"])
        #expect(arguments.value("config-path") == "f.env" && arguments.value("model") == "m.json")
        #expect(throws: UsageError.self) { try run(["--log-format", "yaml", "parse"]) }
    }

    func usage(_ body: () throws -> Any?) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? UsageError)?.message ?? "\(error)"
        }
    }

    @Test func numberFlagsNameASensibleRange() throws {
        let huge = try run(["fit", "--model", "99999999999999999999"])
        #expect(
            usage { try huge.int("model") }
                == "--model expects an integer (this one is too large), got '99999999999999999999'")
        #expect(
            usage { try run(["fit", "--model", "0"]).int("model", in: 1...Int.max) }
                == "--model expects an integer ≥ 1, got '0'")
        #expect(
            usage { try run(["fit", "--model", "NaN"]).double("model", in: 0...1, upperOpen: true) }
                == "--model expects a number in [0, 1), got 'NaN'")
        #expect(
            usage { try run(["fit", "--model", "1"]).double("model", in: 0...1, upperOpen: true) }
                == "--model expects a number in [0, 1), got '1'")
        #expect(
            usage { try run(["fit", "--model", "inf"]).double("model") } == "--model expects a finite number, got 'inf'"
        )
        #expect(try run(["fit", "--model", "0.5"]).double("model", in: 0...1, upperOpen: true) == 0.5)
    }

    @Test func controlCharactersAreEscapedAndLongTextElided() {
        #expect(Excerpt.escaped("a\u{0}b\u{1B}[31m\nc\u{7F}") == "a\\u{0}b\\u{1B}[31m\\nc\\u{7F}")
        #expect(Excerpt.escaped("plain é 😀") == "plain é 😀")
        let long = String(repeating: "x", count: 6000)
        let cut = Excerpt.of(long)
        #expect(cut.count < 120 && cut.contains("characters elided"))
        let line = Excerpt.line("start " + String(repeating: "y", count: 200_000) + " the hint")
        #expect(line.count < 2100 && line.hasPrefix("start ") && line.hasSuffix(" the hint"))
    }
}
