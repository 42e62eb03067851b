import Foundation
import Shared
import Testing

@testable import prty_wallet

/// Web3 Secret Storage v3: go-ethereum's published vectors (both KDFs), keystores written by eth-account, our
/// own round trip, and every way a keystore can be wrong.
struct KeystoreTests {
    static func load(_ vector: JSON) throws -> Keystore {
        try Keystore(try #require(vector["json"]), path: "vector.json")
    }

    static func password(_ vector: JSON) -> [UInt8] { Array((vector["password"]?.stringValue ?? "").utf8) }

    /// go-ethereum's v3 test vectors; the wiki's (scrypt N=2^18, PBKDF2 c=2^18) only in the optimised run.
    @Test(arguments: ["31_byte_key", "30_byte_key", "wikipage_test_vector_scrypt", "wikipage_test_vector_pbkdf2"])
    func gethVectors(name: String) throws {
        if name.hasPrefix("wikipage") && !WalletFixtures.isOptimized { return }
        let vector = try #require(WalletFixtures.json("keystore-geth.json")[name])
        let key = try Self.load(vector).decrypt(password: Self.password(vector))
        let expected = vector["priv"]?.stringValue ?? ""
        #expect(Hex.encode(key.bytes) == String(repeating: "0", count: 64 - expected.count) + expected)
    }

    /// Keystores written by eth-account (scrypt and pbkdf2), as `cast wallet import` and web3.py write them.
    @Test func ethAccountKeystores() throws {
        let vectors = try #require(WalletFixtures.json("keystore-light.json").arrayValue)
        #expect(vectors.count == 2)
        for vector in vectors {
            let keystore = try Self.load(vector)
            #expect(keystore.address?.checksummed == vector["address"]?.stringValue)
            let key = try keystore.decrypt(password: Self.password(vector))
            #expect(Hex.encode(key.bytes) == vector["priv"]?.stringValue)
            #expect(throws: WalletError.wrongPassword(path: "vector.json")) {
                try keystore.decrypt(password: Array("wrong".utf8))
            }
        }
    }

    @Test func roundTrip() throws {
        let key = try #require(PrivateKey(WalletFixtures.bytes(EthereumTests.key)))
        let light = Scrypt.Parameters(n: 1 << 4, r: 8, p: 1, keyLength: 32)
        let document = Keystore.encrypt(key, password: Array("pw".utf8), parameters: light)
        #expect(document["version"] == 3)
        #expect(document["address"]?.stringValue == "2c7536e3605d9c16a7a3d7b1898e529396a65c23")
        #expect(document["crypto"]?["kdf"]?.stringValue == "scrypt")
        let keystore = try Keystore(document, path: "k.json")
        #expect(try keystore.decrypt(password: Array("pw".utf8)).bytes == key.bytes)
        // What auth writes by default: go-ethereum's standard parameters.
        #expect(Scrypt.Parameters.standard == Scrypt.Parameters(n: 262_144, r: 8, p: 1, keyLength: 32))
    }

    @Test func tamperedMACIsRefused() throws {
        let vector = try #require(WalletFixtures.json("keystore-geth.json")["31_byte_key"])
        var text = vector["json"]?.serialized() ?? ""
        text = text.replacingOccurrences(of: "d5e116151c6aa714", with: "d5e116151c6aa715")
        let keystore = try Keystore(try JSONParser.parse(text), path: "t.json")
        #expect(throws: WalletError.wrongPassword(path: "t.json")) { try keystore.decrypt(password: Array("foo".utf8)) }
    }

    @Test func tamperedCiphertextIsRefused() throws {
        let vector = try #require(WalletFixtures.json("keystore-geth.json")["31_byte_key"])
        let text = (vector["json"]?.serialized() ?? "").replacingOccurrences(of: "9517cd5b", with: "9517cd5c")
        let keystore = try Keystore(try JSONParser.parse(text), path: "t.json")
        #expect(throws: WalletError.wrongPassword(path: "t.json")) { try keystore.decrypt(password: Array("foo".utf8)) }
    }

    @Test(arguments: [
        (#"{"version": 2, "crypto": {}}"#, "version is not 3"),
        (#"{"version": 3}"#, "no crypto object"),
        (#"{"version": 3, "crypto": {"cipher": "aes-256-gcm"}}"#, "cipher aes-256-gcm is not aes-128-ctr"),
        (
            #"{"version": 3, "crypto": {"cipher": "aes-128-ctr", "ciphertext": "00", "cipherparams": {"iv": "0011"}, "mac": "00"}}"#,
            "cipherparams.iv is 2 bytes, not 16"
        ),
        (
            #"{"version": 3, "crypto": {"cipher": "aes-128-ctr", "ciphertext": "00", "cipherparams": {"iv": "00000000000000000000000000000000"}, "mac": "0000000000000000000000000000000000000000000000000000000000000000", "kdf": "argon2", "kdfparams": {"dklen": 32, "salt": "00"}}}"#,
            "kdf argon2 is neither scrypt nor pbkdf2"
        ),
        (
            #"{"version": 3, "crypto": {"cipher": "aes-128-ctr", "ciphertext": "00", "cipherparams": {"iv": "00000000000000000000000000000000"}, "mac": "0000000000000000000000000000000000000000000000000000000000000000", "kdf": "scrypt", "kdfparams": {"dklen": 32, "salt": "00", "n": 1073741824, "r": 8, "p": 1}}}"#,
            "scrypt n·r asks for more than 2 GiB of memory"
        ),
    ])
    func malformedKeystores(text: String, detail: String) throws {
        #expect(throws: WalletError.badKeystore(path: "m.json", detail: detail)) {
            try Keystore(try JSONParser.parse(text), path: "m.json")
        }
    }

    @Test func plaintextOriginalIsDetected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-ks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keystore.json").path
        try Data(#"{"private_key": "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        guard case .plaintext(let hex) = try Keystore.read(path: path) else {
            Issue.record("not detected as plaintext")
            return
        }
        #expect(hex.count == 64)
        #expect(throws: WalletError.noKey(path: path + ".missing")) { try Keystore.read(path: path + ".missing") }
    }

    @Test func keyFileIsPrivateAndBackedUp() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-kf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sub/keystore.json").path
        #expect(try KeyFile.write(["version": 3], to: path) == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(
            atPath: (path as NSString).deletingLastPathComponent)
        #expect((directoryAttributes[.posixPermissions] as? Int) == 0o700)
        #expect(KeyFile.looseMode(path) == nil)
        let backup = try #require(try KeyFile.write(["version": 3, "id": "new"], to: path))
        #expect(FileManager.default.fileExists(atPath: backup))
        chmod(path, 0o644)
        #expect(KeyFile.looseMode(path) == "0644")
        #expect(throws: WalletError.loosePermissions(path: path, mode: "0644")) { try KeyFile.requirePrivate(path) }
    }
}
