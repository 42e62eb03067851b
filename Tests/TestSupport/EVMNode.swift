import Foundation

/// The local EVM (`peers/ethrpc.py`: eth-tester + py-evm behind a JSON-RPC server) as a test peer, with the
/// real ParityToken and ParityWallet bytecode from Tests/Fixtures/contracts deployed, and a stake-contract
/// double that reverts every write ("stake contract paused"). It listens on 127.0.0.1, on a port the kernel
/// picks, and is stopped by its pid.
///
///     let node = try EVMNode(fund: [address], tokens: "50000000000000000000")
///     defer { node.stop() }
///     runTool("prty-wallet", ["balance"], environment: ["BLOCKCHAIN_RPC": node.url, …])
///     let state = try node.state(address: address, device: "dev-1")   // decoded by web3, not by prty
///
/// A missing interpreter or module makes `init` throw: the test fails, it is never skipped.
public final class EVMNode: Sendable {
    private struct Announcement: Decodable {
        let port: Int
        let chain_id: UInt64
        let token: String
        let stake_wallet: String
        let reverter: String
        let deployer: String
    }

    /// What the chain holds for an address and a device id (integers as decimal strings).
    public struct State: Sendable, Decodable, Equatable {
        public let eth: String
        public let token: String
        public let allowance: String
        public let nonce: Int
        public let stake: String
        public let stake_exists: Bool
        public let stake_wallet: String
        public let contract_tokens: String
    }

    public let port: Int
    public let chainID: UInt64
    public let token: String
    public let stakeWallet: String
    public let reverter: String
    private let process: PeerProcess

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a node with `chainID`, gives each of `fund` 1 ETH and `tokens` base units of the token.
    public init(chainID: UInt64 = 31337, fund: [String] = [], tokens: String = "0", timeout: TimeInterval = 120) throws
    {
        var arguments = ["--port", "0", "--chain-id", String(chainID), "--deploy", Paths.fixture("contracts").path]
        for address in fund {
            arguments += ["--fund", "\(address)=1000000000000000000"]
            if tokens != "0" { arguments += ["--fund-token", "\(address)=\(tokens)"] }
        }
        process = try PeerProcess.python("the EVM node", script: "ethrpc.py", arguments)
        let announcement = try process.announcement(Announcement.self, timeout: timeout)
        port = announcement.port
        self.chainID = announcement.chain_id
        token = announcement.token
        stakeWallet = announcement.stake_wallet
        reverter = announcement.reverter
    }

    /// Stops the node (SIGTERM, then SIGKILL after 5 s) and waits for it. Safe to call twice.
    public func stop() { process.stop() }

    /// On-chain state as the node's own web3 decodes it.
    public func state(address: String, device: String) throws -> State {
        let query =
            "address=\(address)&device=\(device.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? device)"
        guard let response = Loopback.get(port: port, path: "/_state?\(query)"), response.status == 200 else {
            throw PeerError("the EVM node on port \(port) did not answer /_state")
        }
        return try JSONDecoder().decode(State.self, from: response.body)
    }

    /// The environment prty-wallet needs to use this node: RPC, chain id, the contracts, fast receipt polling.
    public func environment(stakeWallet: String? = nil) -> [String: String] {
        [
            "BLOCKCHAIN_RPC": url, "BLOCKCHAIN_CHAIN_ID": String(chainID), "BLOCKCHAIN_TOKEN_ADDRESS": token,
            "BLOCKCHAIN_STAKE_WALLET_ADDRESS": stakeWallet ?? self.stakeWallet, "BLOCKCHAIN_POLL_INTERVAL": "50ms",
            "BLOCKCHAIN_RECEIPT_TIMEOUT": "30s", "BLOCKCHAIN_RPC_TIMEOUT": "10s",
        ]
    }
}
