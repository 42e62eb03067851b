import Foundation
import Synchronization

/// What a command's code receives: the parsed words and the logger set up from them.
public struct Invocation: Sendable {
    public let arguments: Arguments
    public let log: Log
    /// The subcommand path below the tool, e.g. `["aggregate"]`; empty for a tool without subcommands.
    public var subcommand: [String] { Array(arguments.path.dropFirst()) }
}

/// The one place where a tool's outcome turns into output and an exit status.
public enum Tool {
    /// The running tool's logger, for a write error on stdout, which ends the process from wherever it happens
    /// (`prty-X: cannot write…`, or the JSON error event). Set by `run` before the command's body starts.
    private static let current = Mutex<Log?>(nil)

    /// Parses the command line against `command`, answers `--help` and `--version`, then runs `body`.
    /// Errors are reported once, as the last stderr line, with the exit status they carry.
    public static func run(
        _ command: Command, words: [String] = Array(CommandLine.arguments.dropFirst()),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Invocation) async throws -> Void
    ) async -> Never {
        let environment = ProcessInfo.processInfo.environment
        var log = Log(tool: command.name, format: logFormat(words: words, environment: environment) ?? .human)
        current.withLock { $0 = log }
        do {
            if let script = try Completions.respond(to: words, for: command) {  // `prty-X completions bash`
                writeStdout(script)
                exit(ExitStatus.success.rawValue)
            }
            switch try Arguments.parse(words, for: command) {
            case .help(let shown, let path):
                writeStdout(Help.render(shown, path: path))
            case .version:
                writeStdout("\(command.name) \(Version.current)\n")
            case .run(let arguments):
                if let text = arguments.value("log-format") {
                    guard let format = Log.Format(rawValue: text) else {
                        throw UsageError("--log-format must be human or json, got '\(Excerpt.of(text))'")
                    }
                    log = Log(tool: command.name, format: format)
                } else if let text = environment["PRTY_LOG_FORMAT"], !text.isEmpty {
                    guard let format = Log.Format(rawValue: text) else {  // a setting, as a bad .env value: 78
                        throw ConfigError(key: "PRTY_LOG_FORMAT", value: Excerpt.of(text), expected: "human or json")
                    }
                    log = Log(tool: command.name, format: format)
                } else if let format = try Settings.logFormatInFile(arguments: arguments, environment: environment) {
                    log = Log(tool: command.name, format: format)  // PRTY_LOG_FORMAT in the .env file
                }
                current.withLock { $0 = log }
                Interruption.install(tool: command.name)
                try await body(Invocation(arguments: arguments, log: log))
                if Interruption.isRequested { throw InterruptedError(signal: Interruption.signal ?? SIGINT) }
            }
            exit(ExitStatus.success.rawValue)
        } catch let error as any ExitStatusError {
            log.failure(error.description, exitStatus: error.exitStatus)
            exit(error.exitStatus.rawValue)
        } catch is CancellationError {
            log.failure("interrupted", exitStatus: .interrupted)
            exit(ExitStatus.interrupted.rawValue)
        } catch {
            log.failure("\(error)", exitStatus: .failure)
            exit(ExitStatus.failure.rawValue)
        }
    }

    /// The log format before full parsing, so even a usage error is reported in the requested format.
    private static func logFormat(words: [String], environment: [String: String]) -> Log.Format? {
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--log-format=") { return Log.Format(rawValue: String(word.dropFirst(13))) }
            if word == "--log-format", index + 1 < words.count { return Log.Format(rawValue: words[index + 1]) }
        }
        return environment["PRTY_LOG_FORMAT"].flatMap(Log.Format.init(rawValue:))
    }

    /// Writes a document to stdout in full (handles short writes and EINTR); a closed pipe is an error.
    public static func writeStdout(_ text: String) {
        writeStdout(Array(text.utf8))
    }

    public static func writeStdout(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeStdout($0) }
    }

    /// Writes bytes the caller owns (a streamed document's piece) without copying them into an array.
    public static func writeStdout(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let written = write(STDOUT_FILENO, base + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing was written"
                let log = current.withLock { $0 } ?? Log(tool: ProcessInfo.processInfo.processName)
                log.failure("cannot write the document to stdout: \(reason)", exitStatus: .failure)
                exit(ExitStatus.failure.rawValue)
            }
            offset += written
        }
    }
}
