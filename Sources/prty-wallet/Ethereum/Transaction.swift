import Shared

/// An Ethereum transaction to sign: EIP-1559 (type 2) when the chain has a base fee, legacy with EIP-155
/// replay protection otherwise. Never an unprotected legacy transaction.
struct Transaction: Sendable, Equatable {
    enum Fees: Sendable, Equatable {
        /// EIP-1559: the most paid per gas, and the part of it that goes to the block producer.
        case eip1559(maxFeePerGas: UInt256, maxPriorityFeePerGas: UInt256)
        /// Legacy (EIP-155).
        case legacy(gasPrice: UInt256)

        /// The most one unit of gas can cost.
        var maxPerGas: UInt256 {
            switch self {
            case .eip1559(let maxFee, _): maxFee
            case .legacy(let price): price
            }
        }
    }

    var chainID: UInt64
    var nonce: UInt64
    var fees: Fees
    var gasLimit: UInt64
    var to: Address
    var value: UInt256 = .zero
    var data: [UInt8]

    /// The digest that is signed.
    var signingHash: [UInt8] {
        switch fees {
        case .eip1559(let maxFee, let tip):
            // EIP-1559: keccak256(0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, to, value, data, accessList]))
            return Keccak256.hash(
                [0x02]
                    + RLP.list([
                        .int(chainID), .int(nonce), .int(tip), .int(maxFee), .int(gasLimit), .bytes(to.bytes),
                        .int(value), .bytes(data), .list([]),
                    ]).encoded)
        case .legacy(let price):
            // EIP-155: keccak256(rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]))
            return Keccak256.hash(
                RLP.list([
                    .int(nonce), .int(price), .int(gasLimit), .bytes(to.bytes), .int(value), .bytes(data),
                    .int(chainID), .int(UInt64(0)), .int(UInt64(0)),
                ]).encoded)
        }
    }

    /// The signed transaction, ready for `eth_sendRawTransaction`.
    func signed(with key: PrivateKey) throws(WalletError) -> SignedTransaction {
        let signature = try key.sign(digest: signingHash)
        let r = RLP.int(UInt256(bigEndian: signature.r) ?? .zero)
        let s = RLP.int(UInt256(bigEndian: signature.s) ?? .zero)
        let raw: [UInt8]
        switch fees {
        case .eip1559(let maxFee, let tip):
            raw =
                [0x02]
                + RLP.list([
                    .int(chainID), .int(nonce), .int(tip), .int(maxFee), .int(gasLimit), .bytes(to.bytes), .int(value),
                    .bytes(data), .list([]), .int(UInt64(signature.recoveryID)), r, s,
                ]).encoded
        case .legacy(let price):
            // v = recovery id + chainId·2 + 35; computed in 256 bits so a large chain id cannot overflow.
            let v = UInt256(chainID).multiplied(by: 2)?.adding(UInt256(35 + UInt64(signature.recoveryID))) ?? .zero
            raw =
                RLP.list([
                    .int(nonce), .int(price), .int(gasLimit), .bytes(to.bytes), .int(value), .bytes(data), .int(v), r,
                    s,
                ]).encoded
        }
        return SignedTransaction(raw: raw, transaction: self)
    }
}

struct SignedTransaction: Sendable, Equatable {
    let raw: [UInt8]
    let transaction: Transaction
    /// The transaction hash: keccak256 of the raw bytes (the typed envelope included).
    var hash: String { "0x" + Hex.encode(Keccak256.hash(raw)) }
    var rawHex: String { "0x" + Hex.encode(raw) }
}
