import Foundation
import Shared

/// `prty-wallet auth`: imports the node's private key into an encrypted keystore, or (`--migrate`) encrypts the
/// original runner's plaintext key file in place.
struct Auth {
    static let command = Command(
        "auth", summary: "import the private key into an encrypted keystore (Web3 Secret Storage v3, scrypt)",
        options: [
            Option(
                "private-key", short: "k", value: .single("HEX"),
                help: "the key as 64 hex digits (0x allowed); prefer --private-key-file"),
            Option(
                "private-key-file", value: .single("FILE"), help: "read the key from FILE ('-': stdin)",
                completion: .file),
            Option("migrate", help: "encrypt the original runner's plaintext keystore in place (a backup is kept)"),
            Option("force", help: "replace an existing keystore (the old file is kept as a backup)"),
            WalletOptions.keystore, WalletOptions.prtyPasswordFile,
        ],
        examples: [
            "prty-wallet auth --private-key-file key.txt",
            "pass show parity/node-key | prty-wallet auth --private-key-file - --password-file ~/.parity/password",
            "prty-wallet auth --migrate",
        ],
        discussion: """
            Writes {"address": "0x…", "keystore": PATH}. The keystore is encrypted with scrypt (N=2^18, r=8, \
            p=1) and AES-128-CTR, mode 0600 in a 0700 directory; geth and 'cast wallet' open it. The password \
            comes from --password-file, else PRTY_PASSWORD_FILE, else the terminal (asked twice).
            """)

    enum Source: Equatable {
        case hex(String)
        case file(String)
        case migrate
    }

    let context: WalletContext
    let source: Source
    let force: Bool

    init(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        var sources: [Source] = []
        if let hex = arguments.value("private-key") { sources.append(.hex(hex)) }
        if let file = arguments.value("private-key-file") { sources.append(.file(file)) }
        if arguments.flag("migrate") { sources.append(.migrate) }
        guard sources.count == 1 else {
            throw UsageError(
                sources.isEmpty
                    ? "auth needs the key: --private-key-file FILE (or - for stdin), --private-key HEX, or --migrate"
                    : "give only one of --private-key, --private-key-file and --migrate")
        }
        source = sources[0]
        force = arguments.flag("force")
        context = try WalletContext(invocation)
        if source == .file("-") && PasswordSource(settings: context.settings).file == "-" {
            throw UsageError("the key and the password cannot both come from stdin; put one of them in a file")
        }
    }

    func run() throws {
        let path = context.keystorePath
        let existing = try Self.existing(at: path, force: force)
        let key: PrivateKey
        switch source {
        case .migrate:
            switch existing {
            case nil: throw WalletError.noKey(path: path)
            case .encrypted(let keystore)?:
                context.log.info("already_encrypted", "\(path) is already an encrypted keystore; nothing to migrate")
                writeDocument(address: keystore.address, path: path)
                return
            case .plaintext(let hex)?:
                key = try Self.parseKey(hex, from: "the plaintext keystore \(path)")
            }
        case .hex(let text):
            key = try Self.parseKey(text, from: "--private-key")
        case .file(let file):
            key = try Self.parseKey(try Self.readKeyFile(file), from: file == "-" ? "stdin" : file)
        }
        if source != .migrate, let existing, !force {
            switch existing {
            case .encrypted(let keystore):
                throw WalletError.keystoreExists(
                    path: path, address: keystore.address?.checksummed ?? "an unknown address")
            case .plaintext: throw WalletError.plaintextKeystore(path: path)
            }
        }
        let password = try PasswordSource(settings: context.settings).read(
            purpose: "New password for \(path)", confirm: true)
        guard !password.isEmpty else {
            throw WalletError.password("the keystore password must not be empty")
        }
        let document = Keystore.encrypt(key, password: password)
        if let backup = try KeyFile.write(document, to: path) {
            let what = source == .migrate ? "the plaintext original" : "the previous key file"
            context.log.warning(
                "backup_kept",
                "\(what) is kept at \(backup); delete it (shred -u) once you have checked the new keystore",
                ["backup": .string(backup)])
        }
        context.log.info(
            "authenticated", "wallet \(key.address) saved in \(path)", ["address": .string(key.address.checksummed)])
        writeDocument(address: key.address, path: path)
    }

    /// What the key file holds now: nil when there is none (or, with --force, when it is unreadable junk).
    private static func existing(at path: String, force: Bool) throws(WalletError) -> Keystore.Contents? {
        do {
            return try Keystore.read(path: path)
        } catch {
            switch error {
            case .noKey: return nil
            case .badKeystore where force: return nil
            default: throw error
            }
        }
    }

    private func writeDocument(address: Address?, path: String) {
        var document: [String: JSON] = ["keystore": .string(path)]
        if let address { document["address"] = .string(address.checksummed) }
        context.output(.object(document), human: [("address", address?.checksummed ?? "?"), ("keystore", path)])
    }

    /// 64 hex digits with an optional 0x; whitespace and a trailing newline around it are ignored. The key itself
    /// never appears in a message.
    static func parseKey(_ text: String, from source: String) throws(WalletError) -> PrivateKey {
        var hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if hex.hasPrefix("0x") || hex.hasPrefix("0X") { hex.removeFirst(2) }
        guard hex.utf8.count == 64 else {
            throw .badPrivateKey(
                "the private key from \(source) must be 64 hex digits (32 bytes, 0x optional), got \(hex.utf8.count) characters"
            )
        }
        guard let bytes = Hex.decode(hex) else {
            throw .badPrivateKey("the private key from \(source) holds characters that are not hex digits")
        }
        guard let key = PrivateKey(bytes) else {
            throw .badPrivateKey(
                "the private key from \(source) is not a valid secp256k1 key (zero or not below the curve order)")
        }
        return key
    }

    static func readKeyFile(_ path: String) throws(WalletError) -> String {
        let data =
            path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data else { throw .file(path: path, detail: "cannot read the private key file") }
        guard data.count <= 4096 else { throw .badPrivateKey("\(path) is too large to be a private key file") }
        return String(decoding: data, as: UTF8.self)
    }
}
