import Foundation
import Shared

/// Signs and sends the wallet's transactions one after another from one key: estimates gas (a revert here is
/// reported with its reason and nothing is sent), keeps the fee under the configured cap, signs for the
/// configured chain id (checked against the node first by the caller), sends, and waits — bounded — for the
/// receipt and the requested confirmations. With `dryRun` it signs and returns the raw transactions instead.
struct Sender {
    let config: WalletContext.ChainConfig
    let key: PrivateKey
    let from: Address
    let dryRun: Bool
    let log: Log
    private(set) var nonce: UInt64
    private let fees: Transaction.Fees
    /// The native balance left for gas, lowered by each transaction's worst-case fee as it is sent.
    private var gasFunds: UInt256

    init(config: WalletContext.ChainConfig, key: PrivateKey, dryRun: Bool, log: Log) async throws {
        self.config = config
        self.key = key
        self.from = key.address
        self.dryRun = dryRun
        self.log = log
        nonce = try await config.chain.pendingNonce(of: from)
        fees = try await config.chain.suggestedFees()
        gasFunds = try await config.chain.balance(of: from)
        if config.maxFeeWei < fees.maxPerGas {
            throw WalletError.feeCap(
                what: "the transaction", perGasGwei: Amount.format(fees.maxPerGas, decimals: 9),
                capGwei: Amount.format(config.maxFeeWei, decimals: 9))
        }
    }

    /// One transaction's outcome, as the command's document shows it.
    struct Outcome: Sendable {
        let purpose: String
        let hash: String
        let raw: String?
        let block: UInt64?
        let gasUsed: UInt256?
        let gasLimit: UInt64

        var json: JSON {
            var object: [String: JSON] = [
                "purpose": .string(purpose), "hash": .string(hash), "gas_limit": .uint64(gasLimit),
            ]
            if let raw { object["raw"] = .string(raw) }
            if let block { object["block"] = .uint64(block) }
            if let gasUsed { object["gas_used"] = .string(gasUsed.description) }
            object["status"] = .string(raw != nil ? "signed" : "success")
            return .object(object)
        }
    }

    /// Sends a call to `to`. `fallbackGas`: in a dry run, the gas limit to use when the estimate fails because an
    /// earlier transaction of the same run (an approve) was not sent.
    mutating func send(_ purpose: String, to: Address, data: [UInt8], fallbackGas: UInt64? = nil) async throws
        -> Outcome
    {
        let gasLimit: UInt64
        do {
            let estimate = try await config.chain.estimateGas(from: from, to: to, data: data)
            gasLimit = UInt256(estimate).increased(byPercent: UInt64(config.gasMarginPercent))?.uint64 ?? estimate
        } catch WalletError.reverted(_, let reason, _) where !(dryRun && fallbackGas != nil) {
            throw WalletError.reverted(what: purpose, reason: reason, hash: nil)
        } catch WalletError.reverted where dryRun && fallbackGas != nil {
            gasLimit = fallbackGas ?? 0
        }
        let worstFee = fees.maxPerGas.multiplied(by: gasLimit) ?? .max
        guard let left = gasFunds.subtracting(worstFee) else { throw insufficientGas(purpose, need: worstFee) }
        gasFunds = left
        let transaction = Transaction(
            chainID: config.chainID, nonce: nonce, fees: fees, gasLimit: gasLimit, to: to, data: data)
        let signed = try transaction.signed(with: key)
        nonce += 1
        if dryRun {
            return Outcome(
                purpose: purpose, hash: signed.hash, raw: signed.rawHex, block: nil, gasUsed: nil, gasLimit: gasLimit)
        }
        let hash = try await config.chain.send(signed)
        log.info(
            "tx_sent", "\(purpose): sent \(hash), waiting for it to be mined",
            ["hash": .string(hash), "purpose": .string(purpose)])
        let receipt = try await waitForReceipt(purpose: purpose, hash: hash)
        guard receipt.succeeded else {
            // Replay the call at the block before it to learn why it reverted.
            let block = "0x" + String(receipt.blockNumber > 0 ? receipt.blockNumber - 1 : 0, radix: 16)
            var reason = "no reason given"
            do {
                _ = try await config.chain.call(to: to, data: data, from: from, block: block)
                reason = "out of gas or reverted only in the mined block"
            } catch WalletError.reverted(_, let why, _) {
                reason = why
            } catch {}
            throw WalletError.reverted(what: purpose, reason: reason, hash: hash)
        }
        return Outcome(
            purpose: purpose, hash: hash, raw: nil, block: receipt.blockNumber, gasUsed: receipt.gasUsed,
            gasLimit: gasLimit)
    }

    private func insufficientGas(_ purpose: String, need: UInt256?) -> WalletError {
        let holds = Amount.format(gasFunds, decimals: 18)
        let needs = need.map { " and \(purpose) may cost up to \(Amount.format($0, decimals: 18))" } ?? ""
        return .insufficient(
            "not enough ETH for gas: \(from) holds \(holds)\(needs); nothing was sent for \(purpose), fund the address first"
        )
    }

    /// Polls for the receipt, then for `confirmations` blocks, within the receipt timeout.
    private func waitForReceipt(purpose: String, hash: String) async throws -> Chain.Receipt {
        let deadline = ContinuousClock.now + .milliseconds(Int(config.receiptTimeout * 1000))
        while true {
            try Interruption.check()
            if let receipt = try await config.chain.receipt(hash) {
                let needed = UInt64(max(1, config.confirmations))
                let head = try await config.chain.blockNumber()
                if head + 1 >= receipt.blockNumber + needed || !receipt.succeeded { return receipt }
            }
            guard ContinuousClock.now < deadline else {
                throw WalletError.receiptTimeout(what: purpose, hash: hash, seconds: config.receiptTimeout)
            }
            try await Task.sleep(for: .milliseconds(Int(config.pollInterval * 1000)))
        }
    }
}
