import Foundation
import Shared
import Synchronization
import Testing

@testable import prty_wallet

/// The transaction path against a scripted JSON-RPC node (an HTTPClient closure): fee choice, the fee cap,
/// reverts before and after mining, receipt timeouts, confirmations, and how JSON-RPC errors are reported.
struct SenderTests {
    /// A node answering each method from `answers` (a JSON result, or an error object via `.error`).
    final class FakeNode: Sendable {
        enum Answer: Sendable {
            case result(JSON)
            case error(code: Int, message: String, data: String?)
            case http(Int)
            case raw(String)
        }

        let answers: Mutex<[String: [Answer]]>
        let calls = Mutex<[String]>([])

        init(_ answers: [String: [Answer]]) { self.answers = Mutex(answers) }

        /// Answers in order; the last one repeats.
        func answer(_ method: String) -> Answer {
            calls.withLock { $0.append(method) }
            return answers.withLock { table in
                guard var queue = table[method], let first = queue.first else {
                    return .error(code: -32601, message: "method \(method) not scripted", data: nil)
                }
                if queue.count > 1 { queue.removeFirst() }
                table[method] = queue
                return first
            }
        }

        var client: HTTPClient {
            HTTPClient { request in
                let body = try JSONParser.parse([UInt8](request.body ?? Data()))
                let method = body["method"]?.stringValue ?? ""
                let reply: JSON
                switch self.answer(method) {
                case .result(let result): reply = ["jsonrpc": "2.0", "id": 1, "result": result]
                case .error(let code, let message, let data):
                    var error: [String: JSON] = ["code": .int(code), "message": .string(message)]
                    if let data { error["data"] = .string(data) }
                    reply = ["jsonrpc": "2.0", "id": 1, "error": .object(error)]
                case .http(let status): return HTTPResponse(status: status, body: Data("busy".utf8), url: request.url)
                case .raw(let text): return HTTPResponse(status: 200, body: Data(text.utf8), url: request.url)
                }
                return HTTPResponse(status: 200, body: Data(reply.serialized().utf8), url: request.url)
            }
        }
    }

    static let token = Address(unchecked: [UInt8](repeating: 0x11, count: 20))
    static let wallet = Address(unchecked: [UInt8](repeating: 0x22, count: 20))

    static func config(_ node: FakeNode, maxFeeGwei: UInt64 = 500, confirmations: Int = 1, receiptTimeout: Double = 60)
        -> WalletContext.ChainConfig
    {
        WalletContext.ChainConfig(
            chain: Chain(rpc: JSONRPC(url: "http://node.test", http: node.client, timeout: 5)),
            rpcURL: "http://node.test", chainID: 31337, token: token, stakeWallet: wallet, expectedSymbol: "PRTY",
            receiptTimeout: receiptTimeout, pollInterval: 0.01, confirmations: confirmations,
            maxFeeWei: UInt256(maxFeeGwei * 1_000_000_000), gasMarginPercent: 20)
    }

    static var key: PrivateKey { PrivateKey(Hex.decode(EthereumTests.key) ?? [])! }

    static func standardAnswers() -> [String: [FakeNode.Answer]] {
        [
            "eth_getTransactionCount": [.result("0x7")],
            "eth_getBlockByNumber": [.result(["number": "0x5", "baseFeePerGas": "0x3b9aca00"])],
            "eth_maxPriorityFeePerGas": [.result("0x3b9aca00")],
            "eth_estimateGas": [.result("0x186a0")],
            "eth_sendRawTransaction": [.result("0xabc")],
            "eth_getTransactionReceipt": [
                .result(.null), .result(["status": "0x1", "blockNumber": "0x6", "gasUsed": "0x5208"]),
            ],
            "eth_blockNumber": [.result("0x6")],
            "eth_getBalance": [.result("0xde0b6b3a7640000")],  // 1 ETH
        ]
    }

    @Test func sendsEIP1559WithMarginAndWaitsForTheReceipt() async throws {
        let node = FakeNode(Self.standardAnswers())
        var sender = try await Sender(config: Self.config(node), key: Self.key, dryRun: false, log: Log(tool: "test"))
        let outcome = try await sender.send("approve", to: Self.token, data: [1, 2, 3])
        #expect(outcome.hash == "0xabc")
        #expect(outcome.block == 6)
        #expect(outcome.gasLimit == 120_000)  // 100000 + 20 %
        #expect(sender.nonce == 8)
        #expect(node.calls.withLock { $0 }.filter { $0 == "eth_getTransactionReceipt" }.count == 2)
    }

    @Test func legacyFeesWithoutABaseFee() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getBlockByNumber"] = [.result(["number": "0x5"])]
        answers["eth_gasPrice"] = [.result("0x77359400")]
        let fees = try await Chain(rpc: JSONRPC(url: "http://node.test", http: FakeNode(answers).client, timeout: 5))
            .suggestedFees()
        #expect(fees == .legacy(gasPrice: UInt256(2_000_000_000)))
    }

    @Test func feeAboveTheCapSendsNothing() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getBlockByNumber"] = [.result(["number": "0x5", "baseFeePerGas": "0x174876e800"])]  // 100 gwei
        let node = FakeNode(answers)
        await #expect(throws: WalletError.feeCap(what: "the transaction", perGasGwei: "201", capGwei: "150")) {
            _ = try await Sender(
                config: Self.config(node, maxFeeGwei: 150), key: Self.key, dryRun: false, log: Log(tool: "t"))
        }
        #expect(!node.calls.withLock { $0 }.contains("eth_sendRawTransaction"))
    }

    @Test func notEnoughETHForGasSendsNothing() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getBalance"] = [.result("0x0")]
        let node = FakeNode(answers)
        var sender = try await Sender(config: Self.config(node), key: Self.key, dryRun: false, log: Log(tool: "t"))
        let error = await #expect(throws: WalletError.self) {
            _ = try await sender.send("approve", to: Self.token, data: [])
        }
        #expect(error?.description.hasPrefix("not enough ETH for gas") == true)
        answers["eth_getBalance"] = [.result("0x2386f26fc10000")]  // 0.01 ETH < 120000 gas × 3 gwei per gas
        var poor = try await Sender(
            config: Self.config(FakeNode(answers)), key: Self.key, dryRun: false, log: Log(tool: "t"))
        _ = try await poor.send("approve", to: Self.token, data: [])  // 0.00036 ETH: fits
        answers["eth_estimateGas"] = [.result("0x2dc6c00")]  // 48M gas: 0.144 ETH does not
        var poorer = try await Sender(
            config: Self.config(FakeNode(answers)), key: Self.key, dryRun: false, log: Log(tool: "t"))
        let second = await #expect(throws: WalletError.self) {
            _ = try await poorer.send("addFunds", to: Self.wallet, data: [])
        }
        #expect(second?.description.contains("may cost up to 0.1728") == true)
        #expect(!node.calls.withLock { $0 }.contains("eth_sendRawTransaction"))
    }

    @Test func revertAtEstimationIsDecodedAndNothingIsSent() async throws {
        var answers = Self.standardAnswers()
        let data = "0x" + Hex.encode(ABI.call("Error(string)", [.string("Allowance exceeded")]))
        answers["eth_estimateGas"] = [.error(code: 3, message: "execution reverted", data: data)]
        let node = FakeNode(answers)
        var sender = try await Sender(config: Self.config(node), key: Self.key, dryRun: false, log: Log(tool: "t"))
        await #expect(throws: WalletError.reverted(what: "addFunds", reason: "Allowance exceeded", hash: nil)) {
            _ = try await sender.send("addFunds", to: Self.wallet, data: [])
        }
        #expect(!node.calls.withLock { $0 }.contains("eth_sendRawTransaction"))
    }

    @Test func revertedOnChainIsReportedWithTheReasonAndHash() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getTransactionReceipt"] = [.result(["status": "0x0", "blockNumber": "0x6", "gasUsed": "0x5208"])]
        answers["eth_call"] = [.error(code: 3, message: "execution reverted: Insufficient balance", data: nil)]
        var sender = try await Sender(
            config: Self.config(FakeNode(answers)), key: Self.key, dryRun: false, log: Log(tool: "t"))
        await #expect(
            throws: WalletError.reverted(what: "withdrawFunds", reason: "Insufficient balance", hash: "0xabc")
        ) {
            _ = try await sender.send("withdrawFunds", to: Self.wallet, data: [])
        }
    }

    @Test func noReceiptInTimeIsATemporaryFailureNamingTheHash() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getTransactionReceipt"] = [.result(.null)]
        var sender = try await Sender(
            config: Self.config(FakeNode(answers), receiptTimeout: 0.1), key: Self.key, dryRun: false,
            log: Log(tool: "t"))
        let error = await #expect(throws: WalletError.self) {
            _ = try await sender.send("approve", to: Self.token, data: [])
        }
        #expect(error == .receiptTimeout(what: "approve", hash: "0xabc", seconds: 0.1))
        #expect(error?.exitStatus == .tempFailure)
    }

    @Test func waitsForConfirmations() async throws {
        var answers = Self.standardAnswers()
        answers["eth_getTransactionReceipt"] = [.result(["status": "0x1", "blockNumber": "0x6", "gasUsed": "0x1"])]
        answers["eth_blockNumber"] = [.result("0x6"), .result("0x7"), .result("0x8")]
        let node = FakeNode(answers)
        var sender = try await Sender(
            config: Self.config(node, confirmations: 3), key: Self.key, dryRun: false, log: Log(tool: "t"))
        _ = try await sender.send("approve", to: Self.token, data: [])
        #expect(node.calls.withLock { $0 }.filter { $0 == "eth_blockNumber" }.count == 3)  // mined at 6, head 8
    }

    @Test func dryRunSignsWithoutSending() async throws {
        let node = FakeNode(Self.standardAnswers())
        var sender = try await Sender(config: Self.config(node), key: Self.key, dryRun: true, log: Log(tool: "t"))
        let outcome = try await sender.send("approve", to: Self.token, data: [])
        #expect(outcome.raw?.hasPrefix("0x02") == true)
        #expect(outcome.json["status"] == "signed")
        #expect(!node.calls.withLock { $0 }.contains("eth_sendRawTransaction"))
    }

    @Test func jsonRPCErrorsAreNamed() async throws {
        let rpc = { (answer: FakeNode.Answer) in
            JSONRPC(url: "http://node.test", http: FakeNode(["eth_chainId": [answer]]).client, timeout: 5)
        }
        await #expect(throws: WalletError.rpc(method: "eth_chainId", code: -32000, message: "nonce too low")) {
            _ = try await rpc(.error(code: -32000, message: "nonce too low", data: nil)).call("eth_chainId", [])
        }
        let overloaded = await #expect(throws: WalletError.self) {
            _ = try await rpc(.http(503)).call("eth_chainId", [])
        }
        #expect(overloaded?.exitStatus == .tempFailure)
        let garbage = await #expect(throws: WalletError.self) {
            _ = try await rpc(.raw("<html>")).call("eth_chainId", [])
        }
        #expect(garbage?.exitStatus == .dataError)
        let notHex = await #expect(throws: WalletError.self) {
            _ = try await rpc(.result("zz")).quantity("eth_chainId", [])
        }
        #expect(notHex == .badReply(method: "eth_chainId", detail: #"expected a hex quantity, got "zz""#))
    }
}
