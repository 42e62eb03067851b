import Foundation

/// The node's device id: the key the server knows the runner by and the key its stake is held under on chain,
/// so it must never change once staked. prty-wallet and prty-runner both resolve it here, in this order:
///
/// 1. `RUNNER_DEVICE_ID` (flag, environment or `.env`), trimmed, used verbatim;
/// 2. `~/.parity/.device_id` when it holds exactly 64 lowercase hex digits;
/// 3. otherwise the lowercase hex SHA-256 of `/etc/machine-id`'s bytes (trailing newline included, as the Go
///    runner hashed `cat /etc/machine-id`, so a node migrated from it keeps its id), written to
///    `~/.parity/.device_id` (mode 0600, directory 0700, no trailing newline). A machine without a
///    machine id gets 32 random bytes instead; only stability matters to the server.
///
/// See docs/protocol.md §2.
public enum DeviceID {
    /// The id file under `home`.
    public static func filePath(home: String) -> String { home + "/.parity/.device_id" }

    public static func resolve(
        settings: Settings, home: String = NSHomeDirectory(), machineIDPath: String = "/etc/machine-id"
    ) throws -> String {
        let configured = settings.string(.runnerDeviceID).trimmingCharacters(in: .whitespacesAndNewlines)
        if !configured.isEmpty {
            guard isAcceptable(configured) else {
                throw ConfigError(
                    key: SettingKey.runnerDeviceID.name, value: configured,
                    expected: "1 to 128 printable ASCII characters without spaces")
            }
            return configured
        }
        let path = filePath(home: home)
        if let stored = try? String(contentsOfFile: path, encoding: .utf8), isGenerated(stored) {
            return stored
        }
        let id = Hex.encode(SHA256.hash(machineIDBytes(at: machineIDPath) ?? randomBytes(32)))
        try persist(id, at: path)
        return id
    }

    /// What the Go runner generated and what we write: 64 lowercase hex digits.
    static func isGenerated(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// An operator's own id travels in an HTTP header and a contract call: no spaces or control bytes.
    static func isAcceptable(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { (33...126).contains($0) }
    }

    private static func machineIDBytes(at path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return nil }
        return Array(data)
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Writes the id atomically (temporary file, then rename) with owner-only permissions.
    private static func persist(_ id: String, at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let manager = FileManager.default
        do {
            try manager.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let temporary = directory + "/.device_id.\(getpid()).tmp"
            guard manager.createFile(atPath: temporary, contents: Data(id.utf8), attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw ConfigError("cannot write the device id to \(path): check that the directory is writable")
        }
    }
}
