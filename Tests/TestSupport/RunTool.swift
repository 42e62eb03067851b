import Foundation

/// What a tool run printed and how it ended.
public struct ToolResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// The last stderr line: where every failure is reported.
    public var lastErrorLine: String {
        stderr.split(separator: "\n").last.map(String.init) ?? ""
    }
}

/// Locations of the package, its fixtures and the binaries under test.
public enum Paths {
    /// The package root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    public static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// The directory holding the built tools: `PRTY_BIN_DIR`, which `make test` points at the release build.
    /// There is no fallback: a test that silently ran a stale `.build/debug` binary would test old code, so an
    /// unset `PRTY_BIN_DIR` fails the test with the command to run instead.
    public static var binaries: URL {
        get throws(MissingBinaries) {
            guard let dir = ProcessInfo.processInfo.environment["PRTY_BIN_DIR"], !dir.isEmpty else {
                throw MissingBinaries(
                    "PRTY_BIN_DIR is not set: the end-to-end tests run the built tools from there (make test sets "
                        + "it; by hand: swift build -c release, then PRTY_BIN_DIR=$PWD/.build/release swift test …)")
            }
            return URL(fileURLWithPath: dir)
        }
    }

    /// The built tool `name` in `binaries`; fails when it is not there or not executable.
    public static func tool(_ name: String) throws(MissingBinaries) -> URL {
        let url = try binaries.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            let folder = url.deletingLastPathComponent().path
            throw MissingBinaries(
                "no executable \(name) in PRTY_BIN_DIR (\(folder)); build it first (swift build -c release)")
        }
        return url
    }
}

/// The built tools cannot be found: the test fails with what to do.
public struct MissingBinaries: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a built tool with `arguments`, feeding `stdin`, and waits for it (killing it after `timeout` seconds).
public func runTool(
    _ name: String, _ arguments: [String] = [], stdin: Data = Data(), environment: [String: String] = [:],
    currentDirectory: URL? = nil, timeout: TimeInterval = 120
) throws -> ToolResult {
    try runProcess(
        Paths.tool(name), arguments, stdin: stdin, environment: environment,
        currentDirectory: currentDirectory, timeout: timeout)
}

/// Runs any executable; the environment is the test's own plus `environment`.
public func runProcess(
    _ executable: URL, _ arguments: [String] = [], stdin: Data = Data(), environment: [String: String] = [:],
    currentDirectory: URL? = nil, timeout: TimeInterval = 120
) throws -> ToolResult {
    // A tool that exits before reading all of stdin must not kill the test process with SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "PRTY_LOG_FORMAT")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var out = Data()
    nonisolated(unsafe) var err = Data()  // each written by one reader, read after group.wait()
    group.enter()
    DispatchQueue.global().async {
        out = output.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        err = errors.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    DispatchQueue.global().async {
        try? input.fileHandleForWriting.write(contentsOf: stdin)
        try? input.fileHandleForWriting.close()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        kill(process.processIdentifier, SIGKILL)
        group.wait()
    }
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, stdout: out, stderr: String(decoding: err, as: UTF8.self))
}
