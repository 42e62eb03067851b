import Shared

/// The reads and writes the wallet makes on a chain, over JSON-RPC (methods as go-ethereum names them).
struct Chain: Sendable {
    let rpc: JSONRPC

    func chainID() async throws -> UInt64 {
        let id = try await rpc.quantity("eth_chainId", [])
        guard let value = id.uint64 else {
            throw WalletError.badReply(method: "eth_chainId", detail: "chain id above 2^64")
        }
        return value
    }

    func blockNumber() async throws -> UInt64 {
        try await rpc.quantity("eth_blockNumber", []).uint64 ?? 0
    }

    func balance(of address: Address) async throws -> UInt256 {
        try await rpc.quantity("eth_getBalance", [.string(address.lowercased), "latest"])
    }

    func code(at address: Address) async throws -> [UInt8] {
        try await rpc.data("eth_getCode", [.string(address.lowercased), "latest"])
    }

    /// The next nonce, counting transactions still in the pool.
    func pendingNonce(of address: Address) async throws -> UInt64 {
        let nonce = try await rpc.quantity("eth_getTransactionCount", [.string(address.lowercased), "pending"])
        guard let value = nonce.uint64 else {
            throw WalletError.badReply(method: "eth_getTransactionCount", detail: "nonce above 2^64")
        }
        return value
    }

    /// eth_call against the latest block (or `block`, a quantity), from `from` when given.
    func call(to: Address, data: [UInt8], from: Address? = nil, block: String = "latest") async throws -> [UInt8] {
        var object: [String: JSON] = ["to": .string(to.lowercased), "data": .string("0x" + Hex.encode(data))]
        if let from { object["from"] = .string(from.lowercased) }
        return try await rpc.data("eth_call", [.object(object), .string(block)])
    }

    /// eth_call decoded as `types`.
    func call(to: Address, _ signature: String, _ arguments: [ABIValue] = [], returns types: [ABIType]) async throws
        -> [ABIValue]
    {
        let data = try await call(to: to, data: ABI.call(signature, arguments))
        do {
            return try ABI.decode(types, from: data)
        } catch {
            throw WalletError.badReply(method: "eth_call \(signature) on \(to)", detail: "\(error)")
        }
    }

    func estimateGas(from: Address, to: Address, data: [UInt8]) async throws -> UInt64 {
        let object: JSON = [
            "from": .string(from.lowercased), "to": .string(to.lowercased), "data": .string("0x" + Hex.encode(data)),
        ]
        let gas = try await rpc.quantity("eth_estimateGas", [object])
        guard let value = gas.uint64 else {
            throw WalletError.badReply(method: "eth_estimateGas", detail: "gas above 2^64")
        }
        return value
    }

    /// Fees as go-ethereum's bind package picks them: with a base fee in the latest block, EIP-1559 with
    /// `maxFeePerGas = tip + 2 · baseFee`; otherwise a legacy gas price.
    func suggestedFees() async throws -> Transaction.Fees {
        let block = try await rpc.call("eth_getBlockByNumber", ["latest", false])
        if let text = block["baseFeePerGas"]?.stringValue, let baseFee = UInt256(hexQuantity: text) {
            let tip = try await rpc.quantity("eth_maxPriorityFeePerGas", [])
            guard let maxFee = baseFee.multiplied(by: 2)?.adding(tip) else {
                throw WalletError.badReply(method: "eth_getBlockByNumber", detail: "base fee too large")
            }
            return .eip1559(maxFeePerGas: maxFee, maxPriorityFeePerGas: tip)
        }
        return .legacy(gasPrice: try await rpc.quantity("eth_gasPrice", []))
    }

    /// Sends a signed transaction; returns its hash as the node reports it.
    func send(_ transaction: SignedTransaction) async throws -> String {
        let result = try await rpc.call("eth_sendRawTransaction", [.string(transaction.rawHex)], idempotent: false)
        guard let hash = result.stringValue else {
            throw WalletError.badReply(method: "eth_sendRawTransaction", detail: "no transaction hash")
        }
        return hash
    }

    struct Receipt: Sendable {
        let succeeded: Bool
        let blockNumber: UInt64
        let gasUsed: UInt256
    }

    /// The receipt, or nil while the transaction is not mined.
    func receipt(_ hash: String) async throws -> Receipt? {
        let result = try await rpc.call("eth_getTransactionReceipt", [.string(hash)])
        if result.isNull { return nil }
        guard let status = result["status"]?.stringValue.flatMap(UInt256.init(hexQuantity:)),
            let block = result["blockNumber"]?.stringValue.flatMap(UInt256.init(hexQuantity:))?.uint64
        else {
            throw WalletError.badReply(
                method: "eth_getTransactionReceipt", detail: "receipt without status or block number")
        }
        let gasUsed = result["gasUsed"]?.stringValue.flatMap(UInt256.init(hexQuantity:)) ?? .zero
        return Receipt(succeeded: status == UInt256(1), blockNumber: block, gasUsed: gasUsed)
    }
}
