import Foundation
import Shared
import TestSupport
import Testing

/// `prty-wallet` as an operator runs it: the built binary against a local EVM (`peers/ethrpc.py`) holding the
/// real ParityToken and ParityWallet contracts. Every step's on-chain effect is read back through the node's own
/// web3 (`EVMNode.state`), not through prty's code. Each test has its own HOME, keystore and password file, and
/// its own chain.
struct WalletEndToEndTests {
    /// A private HOME with a password file; `run` passes the chain's settings and runs in this folder, so no
    /// `./.env` or the user's ~/.parity is ever read.
    struct Home {
        let directory: URL
        let password: URL
        var environment: [String: String]

        init(node: EVMNode? = nil, password text: String = "correct horse", device: String = "e2e-device-1") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "prty-wallet-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            password = directory.appendingPathComponent("password")
            try Data((text + "\n").utf8).write(to: password)
            environment = (node?.environment() ?? [:]).merging([
                "HOME": directory.path, "PRTY_PASSWORD_FILE": password.path, "RUNNER_DEVICE_ID": device,
                "PARITY_CONFIG_PATH": "",
            ]) { $1 }
        }

        var keystore: String { directory.path + "/.parity/keystore.json" }

        /// `timeout`: 600 where the real scrypt parameters are used (half a minute of CPU in a debug build).
        func run(_ arguments: [String], stdin: String = "", extra: [String: String] = [:], timeout: TimeInterval = 120)
            throws -> ToolResult
        {
            try runTool(
                "prty-wallet", arguments, stdin: Data(stdin.utf8), environment: environment.merging(extra) { $1 },
                currentDirectory: directory, timeout: timeout)
        }

        /// Installs a keystore fixture written by eth-account (scrypt N=2^10) as this home's key, mode 0600.
        func installLightKeystore(index: Int = 0) throws -> (address: String, key: String) {
            let vectors = try JSONParser.parse(
                [UInt8](try Data(contentsOf: Paths.fixture("wallet/keystore-light.json"))))
            let vector = try #require(vectors.arrayValue?[index])
            try FileManager.default.createDirectory(
                atPath: directory.path + "/.parity", withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try Data(try #require(vector["json"]).serialized().utf8).write(to: URL(fileURLWithPath: keystore))
            chmod(keystore, 0o600)
            return (try #require(vector["address"]?.stringValue), try #require(vector["priv"]?.stringValue))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// The fixture the chain tests share: a node that gives the first light keystore's account 1 ETH and `tokens`
    /// base units, and a HOME holding that keystore; `body` gets both and the account. Stopped and removed after.
    static func withFundedHome(tokens: String, _ body: (EVMNode, Home, String) throws -> Void) throws {
        let probe = try Home()
        let (account, _) = try probe.installLightKeystore()
        probe.remove()
        let node = try EVMNode(fund: [account], tokens: tokens)
        defer { node.stop() }
        let home = try Home(node: node)
        defer { home.remove() }
        _ = try home.installLightKeystore()
        try body(node, home, account)
    }

    static func json(_ result: ToolResult) throws -> JSON { try JSONParser.parse([UInt8](result.stdout)) }

    static func expectFailure(
        _ result: ToolResult, _ status: Int32, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(result.lastErrorLine.hasPrefix("prty-wallet: "), sourceLocation: sourceLocation)
        #expect(result.lastErrorLine.contains(text), "\(result.lastErrorLine)", sourceLocation: sourceLocation)
    }

    static let key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

    /// The one test with the real scrypt parameters (N=2^18, 256 MiB, about a second optimised and half a
    /// minute in a debug build): auth writes a keystore geth's algorithm opens, address reads it without the
    /// password, --verify decrypts it.
    @Test func authWritesAGethCompatibleKeystore() throws {
        let home = try Home()
        defer { home.remove() }
        // The key from stdin (never a flag), 0x accepted; v3 scrypt N=2^18, mode 0600 in a 0700 folder.
        let auth = try home.run(["auth", "--private-key-file", "-"], stdin: "0x\(Self.key)\n", timeout: 600)
        #expect(auth.status == 0, "\(auth.stderr)")
        #expect(auth.stdoutText == #"{"address":"\#(Self.address)","keystore":"\#(home.keystore)"}"# + "\n")
        let keystore = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: home.keystore))))
        #expect(keystore["version"] == 3)
        #expect(keystore["crypto"]?["kdf"]?.stringValue == "scrypt")
        #expect(keystore["crypto"]?["kdfparams"]?["n"]?.intValue == 262_144)
        #expect(keystore["crypto"]?["kdfparams"]?["r"]?.intValue == 8)
        #expect(keystore["crypto"]?["kdfparams"]?["p"]?.intValue == 1)
        #expect(
            !String(decoding: try Data(contentsOf: URL(fileURLWithPath: home.keystore)), as: UTF8.self).contains(
                Self.key))
        let attributes = try FileManager.default.attributesOfItem(atPath: home.keystore)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: home.directory.path + "/.parity")
        #expect((folder[.posixPermissions] as? Int) == 0o700)

        // Ours opens there: eth-account (web3.py's, the same algorithm as geth's DecryptKey) decrypts our file.
        let python = try runProcess(
            PeerLaunch.python,
            [
                "-c",
                "import json,sys; from eth_account import Account; "
                    + "print(Account.decrypt(json.load(open(sys.argv[1])), sys.argv[2]).hex())",
                home.keystore, "correct horse",
            ])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(Self.key))

        // address: no password needed (there is no password file at all); --verify decrypts.
        let address = try home.run(["address"], extra: ["PRTY_PASSWORD_FILE": "/nonexistent"])
        #expect(address.status == 0, "\(address.stderr)")
        #expect(address.stdoutText == #"{"address":"\#(Self.address)","keystore":"\#(home.keystore)"}"# + "\n")
        let verified = try home.run(["address", "--verify"], timeout: 600)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try Self.json(verified)["verified"] == true)
        #expect(try Self.json(verified)["address"]?.stringValue == Self.address)
    }

    /// address → balance → stake 10.5 → balance → unstake 2 → balance, with the chain's own view after each
    /// step; a dry run sends nothing. The key is a keystore eth-account wrote (scrypt N=2^10).
    @Test func stakeAndUnstakeOnTheRealContracts() throws {
        try Self.withFundedHome(tokens: "50000000000000000000") { node, home, account in
            let device = "e2e-device-1"

            let address = try home.run(["address"])
            #expect(address.status == 0, "\(address.stderr)")
            #expect(address.stdoutText == #"{"address":"\#(account)","keystore":"\#(home.keystore)"}"# + "\n")

            // balance before staking.
            var balance = try Self.json(try home.run(["balance"]))
            #expect(balance["address"]?.stringValue == account)
            #expect(balance["chain_id"]?.intValue == 31337)
            #expect(balance["device_id"]?.stringValue == device)
            #expect(balance["token"]?["balance"]?.stringValue == "50")
            #expect(balance["token"]?["base_units"]?.stringValue == "50000000000000000000")
            #expect(balance["token"]?["symbol"]?.stringValue == "PRTY")
            #expect(balance["token"]?["decimals"]?.intValue == 18)
            #expect(balance["native"]?["base_units"]?.stringValue == "1000000000000000000")
            #expect(balance["stake"]?["exists"] == false)

            // A dry run signs (approve + addFunds) and sends nothing.
            let dry = try home.run(["stake", "--amount", "10.5", "--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let dryTransactions = try Self.json(dry)["transactions"]?.arrayValue ?? []
            #expect(dryTransactions.map { $0["purpose"]?.stringValue } == ["approve", "addFunds"])
            #expect(dryTransactions.allSatisfy { $0["raw"]?.stringValue?.hasPrefix("0x02") == true })
            #expect(try node.state(address: account, device: device).nonce == 0)

            // stake 10.5: exactly 10500000000000000000 base units move into the contract under the device id.
            let stake = try home.run(["stake", "--amount", "10.5"])
            #expect(stake.status == 0, "\(stake.stderr)")
            let staked = try Self.json(stake)
            #expect(staked["base_units"]?.stringValue == "10500000000000000000")
            #expect(staked["transactions"]?.arrayValue?.map { $0["purpose"]?.stringValue } == ["approve", "addFunds"])
            var state = try node.state(address: account, device: device)
            #expect(state.stake == "10500000000000000000")
            #expect(state.stake_exists)
            #expect(state.stake_wallet == account)
            #expect(state.token == "39500000000000000000")
            #expect(state.contract_tokens == "10500000000000000000")
            #expect(state.allowance == "0")  // approved exactly the amount, once
            #expect(state.nonce == 2)

            balance = try Self.json(try home.run(["balance"]))
            #expect(balance["token"]?["balance"]?.stringValue == "39.5")
            #expect(balance["stake"]?["exists"] == true)
            #expect(balance["stake"]?["amount"]?["balance"]?.stringValue == "10.5")
            #expect(balance["stake"]?["contract_holds"]?["base_units"]?.stringValue == "10500000000000000000")

            // unstake 2 (withdrawFunds): one transaction, paid back to the stored wallet address.
            let unstake = try home.run(["unstake", "--amount", "2", "--confirmations", "1"])
            #expect(unstake.status == 0, "\(unstake.stderr)")
            #expect(try Self.json(unstake)["paid_to"]?.stringValue == account)
            state = try node.state(address: account, device: device)
            #expect(state.stake == "8500000000000000000")
            #expect(state.token == "41500000000000000000")
            #expect(state.nonce == 3)

            // Without RUNNER_DEVICE_ID the staking key is the runner's ~/.parity/.device_id (Shared's DeviceID).
            let fileID = String(repeating: "ab", count: 32)
            try Data(fileID.utf8).write(to: URL(fileURLWithPath: home.directory.path + "/.parity/.device_id"))
            let other = try Self.json(try home.run(["balance"], extra: ["RUNNER_DEVICE_ID": ""]))
            #expect(other["device_id"]?.stringValue == fileID)
            #expect(other["stake"]?["exists"] == false)

            // A keystore without an address field (as `cast wallet import` writes): address needs --verify, and
            // unstake decrypts first to learn its address.
            var text = try String(contentsOfFile: home.keystore, encoding: .utf8)
            let field = try #require(text.range(of: #""address":"[0-9a-fA-F]{40}","#, options: .regularExpression))
            text.removeSubrange(field)
            try Data(text.utf8).write(to: URL(fileURLWithPath: home.keystore))
            Self.expectFailure(try home.run(["address"]), 65, "it has no address field (cast writes none)")
            #expect(try Self.json(try home.run(["address", "--verify"]))["address"]?.stringValue == account)
            let anonymous = try home.run(["unstake", "--amount", "1", "--dry-run"])
            #expect(anonymous.status == 0, "\(anonymous.stderr)")
            #expect(try Self.json(anonymous)["paid_to"]?.stringValue == account)

            let human = try home.run(["balance", "--human"])
            #expect(human.status == 0)
            #expect(human.stdoutText.contains("token balance         41.5 PRTY"))
            #expect(human.stdoutText.contains("staked                8.5 PRTY"))
        }
    }

    /// Everything that must fail before a transaction is sent: each a one-line error with its exit status, and
    /// the account's nonce still 0 at the end.
    @Test func badCasesSendNothing() throws {
        try Self.withFundedHome(tokens: "5000000000000000000") { node, home, address in
            // Wrong password: 77.
            let wrong = directoryFile(home, "wrong", "not the password\n")
            Self.expectFailure(
                try home.run(["stake", "--amount", "1"], extra: ["PRTY_PASSWORD_FILE": wrong]), 77, "wrong password for"
            )
            Self.expectFailure(
                try home.run(["address", "--verify", "--password-file", wrong]), 77, "wrong password for")
            // Amounts: zero, negative, over-precise, malformed: 64, before any network call.
            for amount in ["0", "-1", "0.0000000000000000001", "1e18", "abc"] {
                let result = try home.run(["stake", "--amount", amount])
                #expect(result.status == 64, "\(amount): \(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
            Self.expectFailure(try home.run(["stake"]), 64, "stake needs --amount")
            Self.expectFailure(try home.run(["unstake", "--amount", "0"]), 64, "more than zero")
            // Insufficient token balance (holds 5): 1.
            Self.expectFailure(
                try home.run(["stake", "--amount", "5.000000000000000001"]), 1, "insufficient token balance")
            // Nothing staked yet: unstake refuses.
            Self.expectFailure(try home.run(["unstake", "--amount", "1"]), 1, "insufficient stake")
            // Wrong chain id: 78, nothing signed.
            Self.expectFailure(
                try home.run(["stake", "--amount", "1"], extra: ["BLOCKCHAIN_CHAIN_ID": "1"]), 78,
                "BLOCKCHAIN_CHAIN_ID is 1 but the node at \(node.url) serves chain 31337")
            // A bad checksum in a configured address: 78.
            Self.expectFailure(
                try home.run(["balance"], extra: ["BLOCKCHAIN_TOKEN_ADDRESS": node.token.uppercasedFirstLetterFlipped]),
                78, "BLOCKCHAIN_TOKEN_ADDRESS")
            // No contract at the configured address: 78.
            Self.expectFailure(
                try home.run(
                    ["balance"], extra: ["BLOCKCHAIN_TOKEN_ADDRESS": "0x000000000000000000000000000000000000dEaD"]),
                78, "there is no contract at BLOCKCHAIN_TOKEN_ADDRESS")
            // A contract that reverts: the reason decoded from eth_estimateGas, exit 1, nothing sent.
            Self.expectFailure(
                try home.run(["unstake", "--amount", "1"], extra: ["BLOCKCHAIN_STAKE_WALLET_ADDRESS": node.reverter]),
                1,
                "withdrawFunds would revert: stake contract paused; nothing was sent")
            // Loose permissions: refused for signing (77), only warned about by `address`.
            chmod(home.keystore, 0o644)
            Self.expectFailure(
                try home.run(["stake", "--amount", "1"]), 77, "refusing to use \(home.keystore): its mode is 0644")
            let warned = try home.run(["address"])
            #expect(warned.status == 0)
            #expect(warned.stderr.contains("warning: \(home.keystore) has mode 0644"))
            chmod(home.keystore, 0o600)
            // A tampered MAC: 77, as a wrong password (the MAC is what tells them apart from a right one).
            var text = try String(contentsOfFile: home.keystore, encoding: .utf8)
            let mac = try #require(text.range(of: #""mac":""#))
            let digit = text.index(mac.upperBound, offsetBy: 5)
            text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
            try Data(text.utf8).write(to: URL(fileURLWithPath: home.keystore))
            Self.expectFailure(try home.run(["stake", "--amount", "1"]), 77, "the keystore's MAC does not match")
            // A keystore that is not JSON: 65.
            try Data("{not json".utf8).write(to: URL(fileURLWithPath: home.keystore))
            Self.expectFailure(try home.run(["address"]), 65, "is not a usable Web3 Secret Storage v3 keystore")

            #expect(try node.state(address: address, device: "e2e-device-1").nonce == 0)
            #expect(try node.state(address: address, device: "e2e-device-1").token == "5000000000000000000")
        }
    }

    /// RPC down (connection refused) and RPC hanging (accepts, never answers): 75 within the configured timeout.
    @Test func unreachableNodeIsATemporaryFailure() throws {
        let home = try Home()
        defer { home.remove() }
        _ = try home.installLightKeystore()
        let chain = [
            "BLOCKCHAIN_CHAIN_ID": "31337", "BLOCKCHAIN_TOKEN_ADDRESS": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "BLOCKCHAIN_STAKE_WALLET_ADDRESS": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        ]
        let down = FetchGetTests.deadOrigin()
        Self.expectFailure(
            try home.run(["balance"], extra: chain.merging(["BLOCKCHAIN_RPC": down]) { $1 }), 75,
            "cannot reach the Ethereum node (BLOCKCHAIN_RPC) for eth_chainId: connection refused")
        let hanging = try LocalHTTPServer { _ in .stall }
        defer { hanging.stop() }
        let started = Date()
        let result = try home.run(
            ["stake", "--amount", "1"],
            extra: chain.merging(["BLOCKCHAIN_RPC": hanging.baseURL, "BLOCKCHAIN_RPC_TIMEOUT": "1s"]) { $1 })
        Self.expectFailure(result, 75, "timed out")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    /// Bad settings stop the tool before any network call: 78 naming the key (64 for a bad flag).
    @Test func badSettingsAreConfigurationErrors() throws {
        let home = try Home()
        defer { home.remove() }
        _ = try home.installLightKeystore()
        Self.expectFailure(try home.run(["balance"], extra: ["BLOCKCHAIN_RPC": "ftp://node"]), 78, "BLOCKCHAIN_RPC=")
        Self.expectFailure(
            try home.run(["balance"], extra: ["BLOCKCHAIN_CHAIN_ID": "zero"]), 78, "BLOCKCHAIN_CHAIN_ID=")
        Self.expectFailure(
            try home.run(["stake", "--amount", "1"], extra: ["BLOCKCHAIN_MAX_FEE_GWEI": "lots"]), 78,
            "BLOCKCHAIN_MAX_FEE_GWEI=")
        Self.expectFailure(
            try home.run(["balance"], extra: ["BLOCKCHAIN_STAKE_WALLET_ADDRESS": "0x1234"]), 78,
            "BLOCKCHAIN_STAKE_WALLET_ADDRESS=\"0x1234\" is not valid")
        Self.expectFailure(try home.run(["stake", "--amount", "1", "--confirmations", "0"]), 64, "--confirmations")
        Self.expectFailure(try home.run(["stake", "--amount", "1", "--amuont", "2"]), 64, "unknown option '--amuont'")
    }

    /// The runner's contract: no keystore → exit 78 and this exact last line; the plaintext original is never
    /// read silently, and `auth --migrate` encrypts it in place with a backup.
    @Test func noKeyPlaintextAndMigration() throws {
        let home = try Home()
        defer { home.remove() }
        let none = try home.run(["address"])
        #expect(none.status == 78)
        #expect(none.lastErrorLine == "prty-wallet: no wallet key in \(home.keystore): run 'prty-wallet auth' first")
        #expect(none.stdout.isEmpty)

        try FileManager.default.createDirectory(
            atPath: home.directory.path + "/.parity", withIntermediateDirectories: true)
        try Data(#"{"private_key": "\#(Self.key)"}"#.utf8).write(to: URL(fileURLWithPath: home.keystore))
        chmod(home.keystore, 0o600)
        Self.expectFailure(try home.run(["address"]), 78, "holds an unencrypted private key")
        Self.expectFailure(try home.run(["auth", "--private-key", Self.key]), 78, "auth --migrate")

        let migrated = try home.run(["auth", "--migrate"], timeout: 600)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdoutText == #"{"address":"\#(Self.address)","keystore":"\#(home.keystore)"}"# + "\n")
        #expect(migrated.stderr.contains("the plaintext original is kept at \(home.keystore).bak-"))
        let text = try String(contentsOfFile: home.keystore, encoding: .utf8)
        #expect(!text.contains(Self.key))
        #expect(text.contains(#""kdf":"scrypt""#))
        let address = try home.run(["address"])
        #expect(address.status == 0)
        #expect(address.stdoutText.contains(Self.address))
        // Migrating again has nothing to do.
        #expect(try home.run(["auth", "--migrate"]).status == 0)
    }

    @Test func authRefusesBadKeysAndKeepsExistingKeystores() throws {
        let home = try Home()
        defer { home.remove() }
        Self.expectFailure(try home.run(["auth", "--private-key", "abcd"]), 64, "must be 64 hex digits")
        Self.expectFailure(
            try home.run(["auth", "--private-key", String(repeating: "z", count: 64)]), 64, "not hex digits")
        Self.expectFailure(
            try home.run(["auth", "--private-key", String(repeating: "0", count: 64)]), 64, "not a valid secp256k1 key")
        Self.expectFailure(try home.run(["auth"]), 64, "auth needs the key")
        Self.expectFailure(
            try home.run(["auth", "--private-key-file", "-", "--password-file", "-"], stdin: Self.key), 64,
            "cannot both come from stdin")
        let empty = directoryFile(home, "empty", "\n")
        Self.expectFailure(
            try home.run(["auth", "--private-key", Self.key], extra: ["PRTY_PASSWORD_FILE": empty]), 64,
            "must not be empty")
        #expect(!FileManager.default.fileExists(atPath: home.keystore))
        // A keystore that exists is not replaced without --force; with it, the old one is kept as a backup.
        _ = try home.installLightKeystore()
        Self.expectFailure(try home.run(["auth", "--private-key", Self.key]), 64, "already exists")
        let forced = try home.run(["auth", "--private-key", Self.key, "--force"], timeout: 600)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("the previous key file is kept at"))
    }

    private func directoryFile(_ home: Home, _ name: String, _ text: String) -> String {
        let url = home.directory.appendingPathComponent(name)
        try? Data(text.utf8).write(to: url)
        return url.path
    }
}

extension String {
    /// The same address with one letter's case flipped, so its EIP-55 checksum no longer holds.
    fileprivate var uppercasedFirstLetterFlipped: String {
        guard let index = self.dropFirst(2).firstIndex(where: \.isLetter) else { return self }
        var copy = self
        let letter = self[index]
        copy.replaceSubrange(index...index, with: letter.isUppercase ? letter.lowercased() : letter.uppercased())
        return copy
    }
}
