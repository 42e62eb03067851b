import Foundation
import Shared
import Synchronization

/// A built `prty-runner` started as a node for end-to-end tests: its own HOME (with a copy of one keystore that
/// `prty-wallet auth` made for the whole test run, so scrypt runs once), state directory and device id, webhook
/// on 127.0.0.1 port 0, the tools from `Paths.binaries` through a private bin directory. stderr goes to `log`.
///
///     let node = try RunnerNode(server: coordinator.origin)
///     defer { node.stop() }
public final class RunnerNode: Sendable {
    public let directory: URL
    public let deviceID: String
    public let environment: [String: String]
    private let process = Mutex<PeerProcess?>(nil)

    public var stateDir: URL { directory.appendingPathComponent("state") }
    public var logFile: URL { directory.appendingPathComponent("runner.log") }
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    /// The test key (a throwaway) and the address `prty-wallet` derives from it.
    public static let privateKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    public static let walletAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

    private static let keystoreOnce = Mutex<Result<URL, any Error>?>(nil)

    /// `prty-wallet auth` once per test process, into a private directory; nodes copy the file.
    public static func sharedKeystore() throws -> URL {
        try keystoreOnce.withLock { cached in
            if let cached { return try cached.get() }
            let result = Result<URL, any Error> {
                let home = FileManager.default.temporaryDirectory
                    .appendingPathComponent("prty-keystore-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
                let password = home.appendingPathComponent("password")
                try "test-password\n".write(to: password, atomically: true, encoding: .utf8)
                let made = try runTool(
                    "prty-wallet", ["auth", "--private-key", privateKey, "--password-file", password.path],
                    environment: ["HOME": home.path], timeout: 300)
                guard made.status == 0 else {
                    throw PeerError("prty-wallet auth failed: \(made.stderr)")
                }
                return home.appendingPathComponent(".parity/keystore.json")
            }
            cached = result
            return try result.get()
        }
    }

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
        for tool in ["prty-exec", "prty-fetch", "prty-partition", "prty-train", "prty-runner", "prty-wallet"] {
            let link = bin.appendingPathComponent(tool)
            if !FileManager.default.fileExists(atPath: link.path) {
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: try Paths.tool(tool))
            }
        }
        let keystore = directory.appendingPathComponent(".parity/keystore.json")
        if !FileManager.default.fileExists(atPath: keystore.path) {
            try FileManager.default.createDirectory(
                at: keystore.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: try Self.sharedKeystore(), to: keystore)
        }
        var environment = [
            "HOME": directory.path, "PATH": "/usr/local/bin:/usr/bin:/bin", "PRTY_BIN_DIR": bin.path,
            "RUNNER_SERVER_URL": server, "RUNNER_WEBHOOK_PORT": "0", "RUNNER_WEBHOOK_HOST": "127.0.0.1",
            "RUNNER_STATE_DIR": directory.appendingPathComponent("state").path, "RUNNER_DEVICE_ID": deviceID,
            "RUNNER_HEARTBEAT_INTERVAL": "1s", "RUNNER_COMMAND_SANDBOX": "host", "RUNNER_SHUTDOWN_GRACE": "10s",
            "PRTY_LOG_FORMAT": "json", "RUNNER_METRICS_ADDR": "",
        ]
        for (key, value) in extraEnvironment { environment[key] = value }
        self.environment = environment
        try start()
    }

    /// Starts (or restarts) the node process.
    public func start() throws {
        unlink(stateDir.appendingPathComponent("status.json").path)  // the last run's status is not this one's
        let process = try PeerProcess(
            "the prty-runner node", executable: directory.appendingPathComponent("bin/prty-runner"), [],
            environment: environment, currentDirectory: directory, stdout: .file(logFile.path),
            stderr: .file(logFile.path))
        self.process.withLock { $0 = process }
    }

    public var pid: Int32 { process.withLock { $0?.pid ?? 0 } }

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
        throw PeerError("the node never registered; its log:\n\(log)")
    }

    /// Sends `signal` and waits for the exit; returns the exit status (128+n when killed).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 30) -> Int32 {
        let process = process.withLock { current -> PeerProcess? in
            defer { current = nil }
            return current
        }
        return process?.stop(signal: signal, grace: timeout) ?? -1
    }

    /// Removes the node's directory (call after `stop`).
    public func remove() { try? FileManager.default.removeItem(at: directory) }

    deinit { stop(signal: SIGKILL) }
}
