import Foundation
import Shared
import Synchronization

/// A built `prty-runner` started as a node for end-to-end tests: its own HOME, state directory and device id,
/// webhook on 127.0.0.1 port 0, the tools from `Paths.binaries` through a private bin directory in which
/// `prty-wallet` is the real one when built with an `address` command, else a two-line stand-in that prints a
/// fixed address (the runner only reads the address). stderr goes to `log`.
///
///     let node = try RunnerNode(server: coordinator.origin)
///     defer { node.stop() }
public final class RunnerNode: Sendable {
    public let directory: URL
    public let deviceID: String
    public let environment: [String: String]
    private let process: Mutex<Process?>

    public var stateDir: URL { directory.appendingPathComponent("state") }
    public var logFile: URL { directory.appendingPathComponent("runner.log") }
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    public static let walletAddress = "0x1111111111111111111111111111111111111111"

    public init(
        server: String, deviceID: String = UUID().uuidString.lowercased(), directory: URL? = nil,
        extraEnvironment: [String: String] = [:]
    ) throws {
        let directory =
            directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("prty-node-\(UUID().uuidString)")
        self.directory = directory
        self.deviceID = deviceID
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in ["prty-exec", "prty-fetch", "prty-partition", "prty-train", "prty-runner"] {
            let link = bin.appendingPathComponent(tool)
            if !FileManager.default.fileExists(atPath: link.path) {
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Paths.tool(tool))
            }
        }
        let wallet = bin.appendingPathComponent("prty-wallet")
        if !FileManager.default.fileExists(atPath: wallet.path) {
            let script = """
                #!/bin/sh
                # stand-in for prty-wallet in runner tests: the node only reads the address
                [ "$1" = address ] || { echo "prty-wallet stand-in: only 'address'" >&2; exit 64; }
                echo '{"address":"\(Self.walletAddress)","keystore":"stand-in"}'
                """
            try script.write(to: wallet, atomically: true, encoding: .utf8)
            chmod(wallet.path, 0o755)
        }
        var environment = [
            "HOME": directory.path, "PATH": "/usr/local/bin:/usr/bin:/bin", "PRTY_BIN_DIR": bin.path,
            "RUNNER_SERVER_URL": server, "RUNNER_WEBHOOK_PORT": "0", "RUNNER_WEBHOOK_HOST": "127.0.0.1",
            "RUNNER_STATE_DIR": directory.appendingPathComponent("state").path, "RUNNER_DEVICE_ID": deviceID,
            "RUNNER_HEARTBEAT_INTERVAL": "1s", "RUNNER_COMMAND_SANDBOX": "host", "RUNNER_SHUTDOWN_GRACE": "10s",
            "PRTY_LOG_FORMAT": "json",
        ]
        for (key, value) in extraEnvironment { environment[key] = value }
        self.environment = environment
        self.process = Mutex(nil)
        try start()
    }

    /// Starts (or restarts) the node process.
    public func start() throws {
        unlink(stateDir.appendingPathComponent("status.json").path)  // the last run's status is not this one's
        let process = Process()
        process.executableURL = directory.appendingPathComponent("bin/prty-runner")
        process.arguments = []
        process.environment = environment
        process.currentDirectoryURL = directory
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process.withLock { $0 = process }
    }

    public var pid: Int32 { process.withLock { $0?.processIdentifier ?? 0 } }

    /// The node's own status document (`status.json`), once it has one.
    public func status() -> JSON? {
        guard let data = FileManager.default.contents(atPath: stateDir.appendingPathComponent("status.json").path)
        else { return nil }
        return try? JSONParser.parse([UInt8](data))
    }

    /// Waits until the node is listening and has registered; returns its webhook port.
    public func waitUntilRegistered(timeout: Double = 60) async throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = status(), status["registered"]?.boolValue == true,
                let webhook = status["webhook"]?.stringValue,
                let port = webhook.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CoordinatorDouble.Failure(description: "the node never registered; its log:\n\(log)")
    }

    /// Sends `signal` and waits for the exit; returns the exit status (128+n when killed).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 30) -> Int32 {
        guard
            let process = process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return -1 }
        if process.isRunning {
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Removes the node's directory (call after `stop`).
    public func remove() { try? FileManager.default.removeItem(at: directory) }

    deinit { stop(signal: SIGKILL) }
}
