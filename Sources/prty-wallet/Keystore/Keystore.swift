import Foundation
import Shared

/// A Web3 Secret Storage v3 keystore (ethereum.org "Web3 Secret Storage Definition"), the file geth, cast and
/// MetaMask exchange: the private key encrypted with AES-128-CTR under a key derived from the password by
/// scrypt (or PBKDF2-HMAC-SHA256), and a Keccak-256 MAC over the second half of that key and the ciphertext.
/// The `address` field lets `prty-wallet address` answer without the password.
struct Keystore: Sendable {
    enum KDF: Sendable, Equatable {
        case scrypt(Scrypt.Parameters)
        case pbkdf2(iterations: Int, keyLength: Int)
    }

    let path: String
    let address: Address?
    let kdf: KDF
    let salt: [UInt8]
    let iv: [UInt8]
    let ciphertext: [UInt8]
    let mac: [UInt8]

    // MARK: Reading

    /// What a key file holds: a v3 keystore, or the original runner's plaintext `{"private_key": …}`.
    enum Contents: Sendable {
        case encrypted(Keystore)
        case plaintext(hex: String)
    }

    /// Reads `path`. A missing file is `WalletError.noKey` (exit 78).
    static func read(path: String) throws(WalletError) -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw .file(path: path, detail: "cannot be read (check its owner and permissions)")
            }
            throw .noKey(path: path)
        }
        let document: JSON
        do {
            document = try JSONParser.parse([UInt8](data))
        } catch {
            throw .badKeystore(path: path, detail: "not JSON (\(error))")
        }
        if document["crypto"] == nil && document["Crypto"] == nil, let hex = document["private_key"]?.stringValue {
            return .plaintext(hex: hex)
        }
        return .encrypted(try Keystore(document, path: path))
    }

    init(_ document: JSON, path: String) throws(WalletError) {
        func bad(_ detail: String) -> WalletError { .badKeystore(path: path, detail: detail) }
        self.path = path
        guard document["version"]?.intValue == 3 else { throw bad("version is not 3") }
        guard let crypto = (document["crypto"] ?? document["Crypto"])?.objectValue else {
            throw bad("no crypto object")
        }
        if let text = document["address"]?.stringValue {
            guard let address = try? Address(text.hasPrefix("0x") ? text : "0x" + text) else {
                throw bad("address '\(text)' is not 40 hex digits")
            }
            self.address = address
        } else {
            address = nil
        }
        guard crypto["cipher"]?.stringValue == "aes-128-ctr" else {
            throw bad("cipher \(crypto["cipher"]?.stringValue ?? "(none)") is not aes-128-ctr")
        }
        func hex(_ value: JSON?, _ name: String) throws(WalletError) -> [UInt8] {
            guard let text = value?.stringValue, let bytes = Hex.decode(text) else { throw bad("\(name) is not hex") }
            return bytes
        }
        ciphertext = try hex(crypto["ciphertext"], "ciphertext")
        iv = try hex(crypto["cipherparams"]?["iv"], "cipherparams.iv")
        mac = try hex(crypto["mac"], "mac")
        guard iv.count == 16 else { throw bad("cipherparams.iv is \(iv.count) bytes, not 16") }
        guard mac.count == 32 else { throw bad("mac is \(mac.count) bytes, not 32") }
        // go-ethereum's own test vectors include keys of 30 and 31 bytes (leading zero bytes dropped).
        guard (1...32).contains(ciphertext.count) else { throw bad("ciphertext is \(ciphertext.count) bytes, not 32") }
        guard let params = crypto["kdfparams"]?.objectValue else { throw bad("no kdfparams") }
        salt = try hex(params["salt"], "kdfparams.salt")
        let keyLength = params["dklen"]?.intValue ?? 0
        guard keyLength >= 32 else { throw bad("kdfparams.dklen must be at least 32") }
        switch crypto["kdf"]?.stringValue {
        case "scrypt":
            guard let n = params["n"]?.intValue, let r = params["r"]?.intValue, let p = params["p"]?.intValue else {
                throw bad("scrypt kdfparams need n, r and p")
            }
            let parameters = Scrypt.Parameters(n: n, r: r, p: p, keyLength: keyLength)
            if let problem = parameters.problem { throw bad(problem) }
            kdf = .scrypt(parameters)
        case "pbkdf2":
            guard params["prf"]?.stringValue == "hmac-sha256" else { throw bad("pbkdf2 prf must be hmac-sha256") }
            guard let c = params["c"]?.intValue, (1...100_000_000).contains(c) else {
                throw bad("pbkdf2 c must be 1...100000000")
            }
            guard keyLength <= 1024 else { throw bad("kdfparams.dklen is above 1024") }
            kdf = .pbkdf2(iterations: c, keyLength: keyLength)
        case let other:
            throw bad("kdf \(other ?? "(none)") is neither scrypt nor pbkdf2")
        }
    }

    /// The private key, after checking the MAC (a wrong password fails here, exit 77) and, when the file names
    /// an address, that the key gives that address.
    func decrypt(password: [UInt8]) throws(WalletError) -> PrivateKey {
        let derived = Self.derive(password: password, salt: salt, kdf: kdf)
        let expected = Keccak256.hash(derived[16..<32] + ciphertext)
        guard Self.constantTimeEqual(expected, mac) else { throw .wrongPassword(path: path) }
        guard let cipher = AES128(key: Array(derived[0..<16])) else { throw .internal("AES-128 key is not 16 bytes") }
        let plain = cipher.ctr(iv: iv, ciphertext)
        guard let key = PrivateKey([UInt8](repeating: 0, count: 32 - plain.count) + plain) else {
            throw .badKeystore(path: path, detail: "the decrypted key is not a valid secp256k1 private key")
        }
        if let address, key.address != address {
            throw .badKeystore(path: path, detail: "the key belongs to \(key.address), not to the file's \(address)")
        }
        return key
    }

    static func derive(password: [UInt8], salt: [UInt8], kdf: KDF) -> [UInt8] {
        switch kdf {
        case .scrypt(let parameters): Scrypt.derive(password: password, salt: salt, parameters)
        case .pbkdf2(let iterations, let keyLength):
            PBKDF2.sha256(password: password, salt: salt, iterations: iterations, keyLength: keyLength)
        }
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    // MARK: Writing

    /// A v3 document for `key`: fresh random salt, IV and id; scrypt with `parameters` (go-ethereum's standard
    /// N = 2^18, r = 8, p = 1 unless a test asks for less).
    static func encrypt(
        _ key: PrivateKey, password: [UInt8], parameters: Scrypt.Parameters = .standard,
        salt: [UInt8] = randomBytes(32), iv: [UInt8] = randomBytes(16), id: String = UUID().uuidString.lowercased()
    ) -> JSON {
        let derived = Scrypt.derive(password: password, salt: salt, parameters)
        // Cannot fail: the slice is 16 bytes.
        let cipher = AES128(key: Array(derived[0..<16]))!
        let ciphertext = cipher.ctr(iv: iv, key.bytes)
        let mac = Keccak256.hash(derived[16..<32] + ciphertext)
        return [
            "address": .string(Hex.encode(key.address.bytes)),
            "crypto": [
                "cipher": "aes-128-ctr",
                "cipherparams": ["iv": .string(Hex.encode(iv))],
                "ciphertext": .string(Hex.encode(ciphertext)),
                "kdf": "scrypt",
                "kdfparams": [
                    "dklen": .int(parameters.keyLength), "n": .int(parameters.n), "p": .int(parameters.p),
                    "r": .int(parameters.r), "salt": .string(Hex.encode(salt)),
                ],
                "mac": .string(Hex.encode(mac)),
            ],
            "id": .string(id),
            "version": 3,
        ]
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
