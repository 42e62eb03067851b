import Foundation
import Shared
import TestSupport
import Testing

/// The bad-input corpus (issue 14): every case in `Tests/Fixtures/corpus/cases.txt` runs one of the built tools
/// (the release binaries under `make test`) and checks the contract every tool keeps on bad input:
/// - the documented exit status, and never a crash (a signal, or 70);
/// - after a failure, the last stderr line is `prty-X: …` (or the JSON error event under `--log-format json`)
///   and holds the case's text, and stdout is empty: no partial document;
/// - no file is left half-written: no `*.partial-*` file, and a failed run creates no `out*` file;
/// - after a success, stdout is the document the case names (one JSON document, NDJSON, or text).
struct BadInputCorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var line: Int
        var exit: Int32
        var stdout: String
        var substring: String
        var command: String
        var testDescription: String { "line \(line): \(command)" }
    }

    static let folder = Paths.fixture("corpus")
    static let documented: Set<Int32> = [0, 1, 64, 65, 66, 69, 75, 77, 78, 130]

    static func cases() throws -> [Case] {
        let text = try String(contentsOf: folder.appendingPathComponent("cases.txt"), encoding: .utf8)
        var cases: [Case] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let fields = trimmed.split(separator: "|", maxSplits: 3).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 4, let exit = Int32(fields[0]) else {
                throw DataError("cases.txt line \(index + 1) is not 'EXIT | STDOUT | SUBSTRING | COMMAND'")
            }
            cases.append(Case(line: index + 1, exit: exit, stdout: fields[1], substring: fields[2], command: fields[3]))
        }
        return cases
    }

    /// Words split at spaces; 'single quotes' keep spaces (and may be empty).
    static func words(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in command {
            if character == "'" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }

    /// `@NAME` → the corpus file, `$TMP` → the case's own directory.
    static func expand(_ word: String, temporary: URL) -> String {
        var out = word.replacingOccurrences(of: "$TMP", with: temporary.path)
        let files = folder.appendingPathComponent("files").path
        while let at = out.firstIndex(of: "@") {
            let nameEnd =
                out[out.index(after: at)...].firstIndex { !($0.isLetter || $0.isNumber || "._/-".contains($0)) }
                ?? out.endIndex
            out.replaceSubrange(at..<nameEnd, with: files + "/" + out[out.index(after: at)..<nameEnd])
        }
        return out
    }

    @Test func theCorpusHoldsAtLeast150CasesAcrossTheThreeTools() throws {
        let cases = try Self.cases()
        #expect(cases.count >= 150)
        for tool in ["prty-fetch", "prty-partition", "prty-train"] {
            #expect(cases.filter { Self.words($0.command).contains(tool) }.count >= 30, "\(tool)")
        }
    }

    @Test(arguments: try BadInputCorpusTests.cases())
    func keepsTheContract(_ test: Case) throws {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("prty-corpus-\(getpid())-\(test.line)")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }

        var words = Self.words(test.command).map { Self.expand($0, temporary: temporary) }
        var environment = ["IPFS_CACHE_DIR": temporary.appendingPathComponent("cache").path, "HOME": temporary.path]
        while let first = words.first, !first.hasPrefix("prty-"), let equals = first.firstIndex(of: "=") {
            environment[String(first[..<equals])] = String(first[first.index(after: equals)...])
            words.removeFirst()
        }
        var stdin = Data()
        if let redirect = words.firstIndex(of: "<") {
            stdin = try Data(contentsOf: URL(fileURLWithPath: words[redirect + 1]))
            words.removeSubrange(redirect...)
        }
        let tool = try #require(words.first)
        let result = try runTool(
            tool, Array(words.dropFirst()), stdin: stdin, environment: environment, currentDirectory: temporary,
            timeout: 60)

        #expect(result.status == test.exit, "stderr: \(result.stderr.suffix(600))")
        #expect(Self.documented.contains(result.status), "exit \(result.status) is not a documented status")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: temporary.path)
        #expect(!leftovers.contains { $0.contains(".partial-") }, "half-written file left: \(leftovers)")
        if result.status != 0 {
            #expect(result.stdout.isEmpty, "a failure wrote \(result.stdout.count) bytes to stdout")
            #expect(!leftovers.contains { $0.hasPrefix("out") }, "a failed run left \(leftovers)")
            let last = result.lastErrorLine
            let message: String
            if last.hasPrefix("{") {
                let event = try JSONParser.parse(last)
                #expect(event["event"] == "error" && event["tool"]?.stringValue == tool)
                #expect(event["exit_code"]?.intValue == Int(result.status))
                message = event["message"]?.stringValue ?? ""
            } else {
                #expect(last.hasPrefix("\(tool): "), "last stderr line: \(last)")
                message = last
            }
            #expect(!message.contains("\n") && last.count < 2600)
            if test.substring != "-" { #expect(message.contains(test.substring), "last stderr line: \(last)") }
        } else {
            if test.substring != "-" { #expect(result.stderr.contains(test.substring), "stderr: \(result.stderr)") }
            let bytes = Array(result.stdout)
            switch test.stdout {
            case "json": #expect(throws: Never.self) { _ = try JSONParser.parse(bytes) }
            case "ndjson":
                #expect(!bytes.isEmpty)
                for line in bytes.split(separator: UInt8(ascii: "\n")) {
                    #expect(throws: Never.self) { _ = try JSONParser.parse(Array(line)) }
                }
            case "text": #expect(!bytes.isEmpty)
            case "empty": #expect(bytes.isEmpty, "stdout holds \(bytes.count) bytes")
            default: Issue.record("unknown stdout kind '\(test.stdout)' on line \(test.line)")
            }
        }
    }

    /// `--output` naming a symlink replaces the file it points to (the link stays); a FIFO is written in place.
    @Test func outputFollowsSymlinksAndWritesFIFOsInPlace() throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("prty-corpus-output-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let store = Self.folder.appendingPathComponent("files/store").path
        let target = temporary.appendingPathComponent("target.csv").path
        let link = temporary.appendingPathComponent("link.csv").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.csv")
        let cid = "QmT5ZF9jLnr3UZPXtSvRwS9rqhq4fh7Qo6T3TrcpJsffmc"
        let base = [cid, "--gateway", "file://\(store)", "--no-cache"]
        let result = try runTool("prty-fetch", base + ["--output", link], currentDirectory: temporary)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.csv")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(contentsOf: Paths.fixture("iris.csv")))

        let fifo = temporary.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let copy = temporary.appendingPathComponent("copy.csv").path
        let reader = Process()  // `cat` holds the FIFO's reading end while prty-fetch writes into it
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$1\"", fifo, copy]
        try reader.run()
        let piped = try runTool("prty-fetch", base + ["--output", fifo], currentDirectory: temporary, timeout: 30)
        #expect(piped.status == 0, "\(piped.stderr)")
        reader.waitUntilExit()
        let received = FileManager.default.contents(atPath: copy) ?? Data()
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
        #expect(received == (try Data(contentsOf: Paths.fixture("iris.csv"))))

        let full = try runTool("prty-fetch", base + ["--output", "/dev/full"], currentDirectory: temporary)
        #expect(full.status == 1 && full.lastErrorLine.hasPrefix("prty-fetch: cannot write /dev/full"))
        #expect(lstat("/dev/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/full is no longer a device")
    }

    /// A write error on stdout is reported by the tool, under its own name.
    @Test func stdoutWriteErrorsNameTheTool() throws {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        defer { close(full) }
        let process = Process()
        process.executableURL = try Paths.tool("prty-fetch")
        process.arguments = ["parse", Paths.fixture("iris.csv").path]
        process.standardOutput = FileHandle(fileDescriptor: full, closeOnDealloc: false)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(stderr.hasPrefix("prty-fetch: cannot write the document to stdout"), "\(stderr)")
    }
}
