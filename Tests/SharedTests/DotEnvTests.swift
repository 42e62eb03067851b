import Testing

@testable import Shared

struct DotEnvTests {
    func values(_ text: String) throws -> [String: String] { try DotEnv.parse(text, file: "test.env").values }

    @Test func plainExportAndSpacing() throws {
        let env = try values("A=1\nexport B=two words\n  C = spaced  \nD=\nexport\tE=tab\n")
        #expect(env == ["A": "1", "B": "two words", "C": "spaced", "D": "", "E": "tab"])
    }

    @Test func commentsAndBlankLines() throws {
        let text =
            "# a comment\n\n   \n  # indented comment\nA=value # trailing comment\nB=a#b\n"
            + "C=#notcomment\nD=x\t# tab\n"
        #expect(try values(text) == ["A": "value", "B": "a#b", "C": "", "D": "x"])
    }

    @Test func singleQuotesAreLiteral() throws {
        #expect(try values(#"A='it is $HOME \n # not a comment'"#) == ["A": #"it is $HOME \n # not a comment"#])
        #expect(try values("A='x' # comment") == ["A": "x"])
    }

    @Test func doubleQuotesUnderstandEscapes() throws {
        let env = try values(#"A="line1\nline2\t\"q\" \\ \x" # c"#)
        #expect(env["A"] == "line1\nline2\t\"q\" \\ \\x")
    }

    @Test func quotedValuesMaySpanLines() throws {
        let file = try DotEnv.parse("A=\"one\ntwo\"\nB=3\n", file: "t")
        #expect(file.values == ["A": "one\ntwo", "B": "3"])
        #expect(file.line(of: "B") == 3)
    }

    @Test func crlfAndByteOrderMark() throws {
        let file = try DotEnv.parse("\u{FEFF}A=1\r\nB=\"x\"\r\n\r\n# c\r\nC=y # z\r\n", file: "t")
        #expect(file.values == ["A": "1", "B": "x", "C": "y"])
        #expect(file.line(of: "C") == 5)
    }

    @Test func lastValueWinsAndLinesAreKept() throws {
        let file = try DotEnv.parse("A=1\nB=2\nA=3", file: "t")
        #expect(file.values["A"] == "3")
        #expect(file.line(of: "A") == 3)
        #expect(file.entries.map(\.key) == ["A", "B", "A"])
    }

    @Test(arguments: [
        ("A=1\nnot a line\n", 2, "expected '='"),
        ("A=1\n=value\n", 2, "expected KEY=value"),
        ("A=\"open\nB=2\n", 1, "not closed"),
        ("A='x' junk\n", 1, "after the closing quote"),
        ("1A=x\n", 1, "starts with a digit"),
        ("A=1\n\nB x=1\n", 3, "expected '='"),
        ("A=1\r\nB=2\rC=3\n", 2, "unexpected text"),
    ])
    func malformedLinesNameFileAndLine(text: String, line: Int, message: String) {
        #expect {
            _ = try DotEnv.parse(text, file: "conf/test.env")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.exitStatus == .config && error.message.hasPrefix("conf/test.env line \(line): ")
                && error.message.contains(message)
        }
    }

    @Test func malformedLineDoesNotEchoItsText() {
        #expect {
            _ = try DotEnv.parse("PRIVATE_KEY 0xdeadbeefcafe\n", file: ".env")
        } throws: { error in
            "\(error)".contains("0xdeadbeefcafe") == false
        }
    }

    @Test func missingFileIsConfigError() {
        #expect {
            _ = try DotEnv.load(path: "/nonexistent/prty/.env")
        } throws: { error in
            (error as? ConfigError)?.message.contains("/nonexistent/prty/.env") == true
        }
    }
}
