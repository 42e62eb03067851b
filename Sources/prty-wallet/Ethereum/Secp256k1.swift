internal import CSecp256k1
import Shared

/// A secp256k1 private key: 32 bytes, non-zero, below the curve order. Valid by construction.
struct PrivateKey: Sendable {
    let bytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 32, secp256k1_ec_seckey_verify(Secp256k1.context, bytes) == 1 else { return nil }
        self.bytes = bytes
    }

    /// The uncompressed public key without its 0x04 prefix (x ‖ y, 64 bytes).
    var publicKey: [UInt8] {
        var pubkey = secp256k1_pubkey()
        // Cannot fail for a key that passed secp256k1_ec_seckey_verify.
        _ = secp256k1_ec_pubkey_create(Secp256k1.context, &pubkey, bytes)
        var output = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(
            Secp256k1.context, &output, &length, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return Array(output[1...])
    }

    var address: Address { Address(publicKey: publicKey) }

    /// A recoverable ECDSA signature of a 32-byte digest: RFC 6979 nonce (deterministic, as eth-account's),
    /// lower-s normalised by libsecp256k1, recovery id 0 or 1.
    func sign(digest: [UInt8]) throws(WalletError) -> Signature {
        guard digest.count == 32 else { throw .internal("a signature digest must be 32 bytes") }
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_sign_recoverable(Secp256k1.context, &signature, digest, bytes, nil, nil) == 1 else {
            throw .internal("secp256k1_ecdsa_sign_recoverable failed")
        }
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryID: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(
            Secp256k1.context, &compact, &recoveryID, &signature)
        return Signature(r: Array(compact[0..<32]), s: Array(compact[32..<64]), recoveryID: UInt8(recoveryID))
    }
}

/// r, s (32 bytes each, big-endian) and the recovery id (y parity of R).
struct Signature: Sendable, Equatable {
    let r: [UInt8]
    let s: [UInt8]
    let recoveryID: UInt8

    /// The public key (64 bytes, no prefix) that made this signature over `digest`, if any.
    func recoverPublicKey(digest: [UInt8]) -> [UInt8]? {
        guard digest.count == 32 else { return nil }
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard
            secp256k1_ecdsa_recoverable_signature_parse_compact(
                Secp256k1.context, &signature, r + s, Int32(recoveryID)) == 1
        else { return nil }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(Secp256k1.context, &pubkey, &signature, digest) == 1 else { return nil }
        var output = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(
            Secp256k1.context, &output, &length, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return Array(output[1...])
    }
}

/// The one libsecp256k1 context. Safe to share between threads: libsecp256k1 mutates a context only in
/// secp256k1_context_randomize, which we never call after creation.
enum Secp256k1 {
    nonisolated(unsafe) static let context: OpaquePointer = CSecp256k1_context_create_none()
}
