import Foundation
import Testing

@testable import Shared

/// The device id is the staking key: these pin where it comes from and that it is stable and private.
struct DeviceIDTests {
    private func temporaryHome() throws -> String {
        let path = NSTemporaryDirectory() + "prty-deviceid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func machineID(_ text: String, in home: String) throws -> String {
        let path = home + "/machine-id"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func derivedFromMachineIDBytesIncludingTheNewlineAndPersistedPrivately() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let machine = try machineID("0123456789abcdef0123456789abcdef\n", in: home)
        let id = try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: machine)
        // python3 -c "import hashlib;print(hashlib.sha256(b'0123456789abcdef0123456789abcdef\n').hexdigest())"
        #expect(id == "6ed6653dba3d6aee8110c6e23de37f15c609b8a6e29aa164d1acace604e5cb7e")
        #expect(id == Hex.encode(SHA256.hash(Array("0123456789abcdef0123456789abcdef\n".utf8))))
        let file = DeviceID.filePath(home: home)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == id)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: home + "/.parity")
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aStoredIDWinsOverTheMachineID() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.parity", withIntermediateDirectories: true)
        let stored = String(repeating: "ab", count: 32)
        try stored.write(toFile: DeviceID.filePath(home: home), atomically: true, encoding: .utf8)
        let machine = try machineID("other\n", in: home)
        #expect(try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: machine) == stored)
    }

    @Test(arguments: ["", "ABAB", String(repeating: "g", count: 64), String(repeating: "A", count: 64) + "\n"])
    func aMalformedStoredIDIsReplaced(stored: String) throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.parity", withIntermediateDirectories: true)
        try stored.write(toFile: DeviceID.filePath(home: home), atomically: true, encoding: .utf8)
        let machine = try machineID("m\n", in: home)
        let id = try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: machine)
        #expect(id == Hex.encode(SHA256.hash(Array("m\n".utf8))))
        #expect(try String(contentsOfFile: DeviceID.filePath(home: home), encoding: .utf8) == id)
    }

    @Test func theSettingWinsAndIsTrimmed() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let settings = Settings(environment: ["RUNNER_DEVICE_ID": "  node-7 \n"])
        #expect(try DeviceID.resolve(settings: settings, home: home) == "node-7")
        #expect(!FileManager.default.fileExists(atPath: DeviceID.filePath(home: home)))
    }

    @Test(arguments: ["two words", "tab\there", String(repeating: "x", count: 129)])
    func anUnsafeSettingIsAConfigError(value: String) throws {
        let settings = Settings(environment: ["RUNNER_DEVICE_ID": value])
        #expect(throws: ConfigError.self) { try DeviceID.resolve(settings: settings, home: "/nonexistent") }
    }

    @Test func withoutAMachineIDARandomIDIsPersistedAndStable() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let first = try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: home + "/missing")
        #expect(DeviceID.isGenerated(first))
        #expect(try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: home + "/missing") == first)
    }

    @Test func anUnwritableHomeIsAConfigErrorNamingThePath() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try "file".write(toFile: home + "/.parity", atomically: true, encoding: .utf8)  // a file where the dir goes
        let machine = try machineID("m\n", in: home)
        #expect(throws: ConfigError.self) {
            try DeviceID.resolve(settings: Settings(), home: home, machineIDPath: machine)
        }
    }
}
