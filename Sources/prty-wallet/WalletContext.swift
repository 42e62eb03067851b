import Foundation
import Shared

/// What every subcommand reads from the configuration (flag > environment > .env > default), checked once.
struct WalletContext: Sendable {
    let settings: Settings
    let log: Log
    let keystorePath: String
    let human: Bool

    init(_ invocation: Invocation) throws {
        settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        log = invocation.log
        keystorePath = settings.path(.blockchainKeystore, flag: "keystore")
        human = invocation.arguments.flag("human")
    }

    /// The keystore at `keystorePath`, refusing the plaintext original (exit 78 until it is migrated).
    func keystore() throws(WalletError) -> Keystore {
        switch try Keystore.read(path: keystorePath) {
        case .encrypted(let keystore): return keystore
        case .plaintext: throw .plaintextKeystore(path: keystorePath)
        }
    }

    /// The decrypted key: the file must be private to its owner, the password right (exit 77 otherwise).
    func privateKey(purpose: String) throws(WalletError) -> PrivateKey {
        let keystore = try keystore()
        try KeyFile.requirePrivate(keystorePath)
        let password = try PasswordSource(settings: settings).read(purpose: "Password for \(keystorePath) (\(purpose))")
        return try keystore.decrypt(password: password)
    }

    /// The address the keystore names (no password needed).
    func address() throws(WalletError) -> Address {
        let keystore = try keystore()
        guard let address = keystore.address else {
            throw .badKeystore(
                path: keystorePath,
                detail: "it has no address field (cast writes none), so the address needs the password: run "
                    + "'prty-wallet address --verify', or import the key with 'prty-wallet auth' to add it")
        }
        return address
    }

    /// The signing address before anything else happens: the keystore's `address` field, or — for a keystore
    /// without one, as `cast wallet import` writes — the decrypted key's (which is then returned for reuse).
    func signer(purpose: String) throws(WalletError) -> (address: Address, key: PrivateKey?) {
        if let address = try keystore().address { return (address, nil) }
        let key = try privateKey(purpose: purpose)
        return (key.address, key)
    }

    /// The staking key: Shared's DeviceID, the very code prty-runner uses, under the same HOME as the keystore.
    func deviceID() throws -> String {
        let home = settings.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return try DeviceID.resolve(settings: settings, home: home)
    }

    // MARK: The chain

    struct ChainConfig: Sendable {
        let chain: Chain
        let rpcURL: String
        let chainID: UInt64
        let token: Address
        let stakeWallet: Address
        let expectedSymbol: String
        let receiptTimeout: Double
        let pollInterval: Double
        let confirmations: Int
        let maxFeeWei: UInt256
        let gasMarginPercent: Int
    }

    func chainConfig() throws -> ChainConfig {
        let url = try settings.url(.blockchainRPC)
        let timeout = try settings.duration(.blockchainRPCTimeout)
        guard timeout > 0 else {
            throw ConfigError(key: SettingKey.blockchainRPCTimeout.name, value: "0", expected: "a duration above 0")
        }
        let rpc = JSONRPC(url: url.absoluteString, http: .live, timeout: timeout)
        let maxFeeText = settings.string(.blockchainMaxFeeGwei)
        guard let maxFeeWei = try? Amount.parse(maxFeeText, decimals: 9) else {
            throw ConfigError(
                key: SettingKey.blockchainMaxFeeGwei.name, value: maxFeeText,
                expected: "a positive number of gwei, e.g. 500")
        }
        return ChainConfig(
            chain: Chain(rpc: rpc), rpcURL: HTTPRequest.redactedURL(url.absoluteString),
            chainID: UInt64(try settings.int(.blockchainChainID)),
            token: try address(.blockchainTokenAddress), stakeWallet: try address(.blockchainStakeWalletAddress),
            expectedSymbol: settings.string(.blockchainTokenSymbol),
            receiptTimeout: try settings.duration(.blockchainReceiptTimeout),
            pollInterval: max(0.01, try settings.duration(.blockchainPollInterval)),
            confirmations: try settings.int(.blockchainConfirmations, flag: "confirmations"),
            maxFeeWei: maxFeeWei, gasMarginPercent: try settings.int(.blockchainGasMarginPercent))
    }

    private func address(_ key: SettingKey) throws -> Address {
        let (text, source) = settings.lookup(key)
        do {
            return try Address(text)
        } catch .badChecksum(let expected) {
            throw ConfigError(
                "\(key.name)=\(text.debugDescription) has a bad EIP-55 checksum (\(source)); a typo? the checksummed "
                    + "form of these digits is \(expected)")
        } catch {
            throw ConfigError(
                "\(key.name)=\(text.debugDescription) is not valid: expected 0x and 40 hex digits (\(source))")
        }
    }
}

extension HTTPRequest {
    /// A URL as messages show it (no user info, no query).
    static func redactedURL(_ url: String) -> String { HTTPRequest(.get, url).displayURL }
}

extension WalletContext {
    /// The chain settings, after checking — before anything is signed — that the node serves the configured
    /// chain id and that both contracts exist there.
    func connect() async throws -> ChainConfig {
        let config = try chainConfig()
        let nodeChain = try await config.chain.chainID()
        guard nodeChain == config.chainID else {
            throw WalletError.chainMismatch(configured: config.chainID, node: nodeChain, rpc: config.rpcURL)
        }
        for (key, address) in [
            ("BLOCKCHAIN_TOKEN_ADDRESS", config.token), ("BLOCKCHAIN_STAKE_WALLET_ADDRESS", config.stakeWallet),
        ] {
            if try await config.chain.code(at: address).isEmpty {
                throw WalletError.noContract(key: key, address: address.checksummed)
            }
        }
        return config
    }

    /// Writes the command's document: JSON (sorted keys) by default, `lines` for `--human`.
    func output(_ document: JSON, human lines: [(String, String)]) {
        if human {
            let width = lines.map(\.0.count).max() ?? 0
            Tool.writeStdout(
                lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
                    .joined(separator: "\n") + "\n")
        } else {
            Tool.writeStdout(document.serialized() + "\n")
        }
    }
}

/// Options several subcommands share.
enum WalletOptions {
    static let keystore = Option(
        "keystore", value: .single("FILE"),
        help: "the keystore file (default: BLOCKCHAIN_KEYSTORE, ~/.parity/keystore.json)",
        completion: .file)
    static let prtyPasswordFile = Option(
        "password-file", value: .single("FILE"),
        help: "read the keystore password from the first line of FILE ('-': stdin); default PRTY_PASSWORD_FILE, "
            + "else ask on the terminal", completion: .file)
    static let human = Option("human", help: "a table for people instead of JSON")
    static let amount = Option(
        "amount", short: "a", value: .single("TOKENS"), help: "how many tokens, as an exact decimal (e.g. 10.5)")
    static let dryRun = Option("dry-run", help: "sign the transactions and print them without sending anything")
    static let confirmations = Option(
        "confirmations", value: .single("N"),
        help: "blocks to wait for after each transaction is mined (default BLOCKCHAIN_CONFIRMATIONS, 1)")
}
