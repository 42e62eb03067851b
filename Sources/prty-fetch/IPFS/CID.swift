import Shared

/// A content identifier (github.com/multiformats/cid), checked once, here: CIDv0 (`Qm…`, base58btc, dag-pb,
/// sha2-256) or CIDv1 (`b…` base32, `z…` base58btc, `k…` base36, `f…` base16) with the dag-pb (0x70) or raw
/// (0x55) codec and a sha2-256 (0x12) or identity (0x00) multihash. Anything else is refused as unsupported,
/// so a `CID` value always names content this tool can verify.
struct CID: Hashable, Sendable, CustomStringConvertible {
    enum Version: Int, Sendable {
        case v0 = 0
        case v1 = 1
    }

    enum Codec: UInt64, Sendable {
        case raw = 0x55
        case dagPB = 0x70

        var name: String { self == .raw ? "raw" : "dag-pb" }
    }

    let version: Version
    let codec: Codec
    let multihash: Multihash

    /// A CIDv1 (or a CIDv0, which must be dag-pb over sha2-256).
    init(version: Version = .v1, codec: Codec, multihash: Multihash) throws(FetchError) {
        if version == .v0, codec != .dagPB || multihash.function != .sha2_256 {
            throw .cid(.malformed("a CIDv0 is always dag-pb over sha2-256"))
        }
        self.version = version
        self.codec = codec
        self.multihash = multihash
    }

    private init(checked version: Version, _ codec: Codec, _ multihash: Multihash) {
        self.version = version
        self.codec = codec
        self.multihash = multihash
    }

    /// The CID of `block` under `codec`, hashed with sha2-256.
    static func of(_ block: [UInt8], codec: Codec, version: Version) -> CID {
        block.withUnsafeBytes { of($0, codec: codec, version: version) }
    }

    static func of(_ block: UnsafeRawBufferPointer, codec: Codec, version: Version) -> CID {
        CID(checked: codec == .dagPB ? version : .v1, codec, Multihash.sha256(of: block))
    }

    /// A raw identity CID: the content is the digest (for tiny content; `bafkqaaa` is the empty one).
    static func identity(_ content: [UInt8]) -> CID { CID(checked: .v1, .raw, Multihash.identity(content)) }

    /// The CID for a sha2-256 `digest` already computed.
    static func sha256(_ digest: [UInt8], codec: Codec, version: Version) -> CID {
        precondition(digest.count == 32, "a sha2-256 digest is 32 bytes")
        return CID(checked: codec == .dagPB ? version : .v1, codec, Multihash(checked: .sha2_256, digest))
    }

    /// Parses the text form: a bare CIDv0 (`Qm…`, 46 characters) or a multibase CIDv1.
    init(_ text: String) throws(FetchError) {
        let shown = Excerpt.of(text, limit: 100)  // as quoted in errors: a 6,000-character "CID" is elided
        let bytes: [UInt8]
        if text.hasPrefix("Qm") {
            guard text.utf8.count == 46 else {
                throw .cid(.malformed("'\(shown)' looks like a CIDv0 but has \(text.utf8.count) characters, not 46"))
            }
            guard let decoded = Base58.decode(Array(text.utf8)) else {
                throw .cid(.malformed("'\(shown)' is not base58btc"))
            }
            bytes = decoded
        } else {
            guard let first = text.first else { throw .cid(.malformed("the CID is empty")) }
            guard let (_, decoded) = Multibase.decode(text) else {
                let names: [Character: String] = [
                    "z": "base58btc", "b": "base32", "B": "base32", "k": "base36",
                    "K": "base36", "f": "base16", "F": "base16",
                ]
                if let name = names[first] {
                    throw .cid(.malformed("'\(shown)' is not valid \(name) (a bad character or length)"))
                }
                // Other multibase prefixes (base64 m/u, base32hex v/t, …) are CIDs this tool does not read.
                if "mMuUvVtTcChp97Z".contains(first) {
                    throw .cid(
                        .unsupported(
                            "multibase prefix '\(first)' of '\(shown)' (supported: Qm… CIDv0, b/z/k/f CIDv1)"))
                }
                throw .cid(
                    .malformed("'\(shown)' is neither a CIDv0 (Qm…) nor a multibase CIDv1 (b…, z…, k…, f…)"))
            }
            guard decoded.first != 0x12 else { throw .cid(.malformed("a CIDv0 may not carry a multibase prefix")) }
            bytes = decoded
        }
        var offset = 0
        self = try CID.read(bytes, at: &offset)
        guard offset == bytes.count else {
            throw .cid(.malformed("'\(shown)' has \(bytes.count - offset) trailing bytes"))
        }
    }

    /// Parses a whole binary CID (as in a dag-pb link).
    init(bytes: [UInt8]) throws(FetchError) {
        var offset = 0
        self = try CID.read(bytes, at: &offset)
        guard offset == bytes.count else {
            throw .cid(.malformed("a binary CID has \(bytes.count - offset) trailing bytes"))
        }
    }

    /// Reads a binary CID at `offset` (as in a CAR section, where the block bytes follow), advancing it.
    static func read(_ bytes: [UInt8], at offset: inout Int) throws(FetchError) -> CID {
        var cursor = offset
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(FetchError) -> CID in try read(buffer, at: &cursor) }
        }
        offset = cursor
        return try result.get()
    }

    static func read(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) throws(FetchError) -> CID {
        if bytes.count - offset >= 2, bytes[offset] == 0x12, bytes[offset + 1] == 0x20 {
            guard bytes.count - offset >= 34 else { throw .cid(.malformed("a CIDv0 is cut short")) }
            let digest = Array(bytes[(offset + 2)..<(offset + 34)])
            offset += 34
            return CID(checked: .v0, .dagPB, Multihash(checked: .sha2_256, digest))
        }
        var cursor = offset
        let version = try varint(bytes, &cursor, "version")
        guard version == 1 else {
            if version == 0x12 { throw .cid(.malformed("a CIDv0 whose multihash is not 32 bytes of sha2-256")) }
            throw .cid(.unsupported("CID version \(version)"))
        }
        let code = try varint(bytes, &cursor, "codec")
        guard let codec = Codec(rawValue: code) else {
            throw .cid(.unsupported("codec \(CID.codecName(code)); prty-fetch reads dag-pb (UnixFS) and raw blocks"))
        }
        let multihash = try Multihash.read(bytes, at: &cursor)
        offset = cursor
        return CID(checked: .v1, codec, multihash)
    }

    private static func varint(
        _ bytes: UnsafeRawBufferPointer, _ offset: inout Int,
        _ what: String
    ) throws(FetchError) -> UInt64 {
        do {
            return try Varint.read(bytes, at: &offset)
        } catch {
            throw .cid(.malformed("the CID's \(what) is not a valid varint (\(error))"))
        }
    }

    /// The binary form: the bare multihash for CIDv0, `version ‖ codec ‖ multihash` for CIDv1.
    var bytes: [UInt8] {
        if version == .v0 { return multihash.bytes }
        var out = [UInt8]()
        Varint.write(1, to: &out)
        Varint.write(codec.rawValue, to: &out)
        out += multihash.bytes
        return out
    }

    /// The canonical text: base58btc for CIDv0, base32 (`b…`) for CIDv1.
    var description: String {
        version == .v0 ? Base58.encode(multihash.bytes) : Multibase.encode(bytes, .base32)
    }

    /// Whether `block` hashes to this CID's multihash.
    func verifies(_ block: UnsafeRawBufferPointer) -> Bool { multihash.verifies(block) }
    func verifies(_ block: [UInt8]) -> Bool { block.withUnsafeBytes { multihash.verifies($0) } }

    /// An identity CID carries its content in its digest: nothing to fetch.
    var isIdentity: Bool { multihash.function == .identity }
}

/// A self-describing hash (github.com/multiformats/multihash): sha2-256 or identity.
struct Multihash: Hashable, Sendable {
    enum Function: UInt64, Sendable {
        case identity = 0x00
        case sha2_256 = 0x12
    }

    /// Identity digests longer than this are refused, as kubo does: an identity CID is for tiny content.
    static let maxIdentityLength = 128

    let function: Function
    let digest: [UInt8]

    fileprivate init(checked function: Function, _ digest: [UInt8]) {
        self.function = function
        self.digest = digest
    }

    static func sha256(of block: [UInt8]) -> Multihash { Multihash(checked: .sha2_256, SHA256.hash(block)) }
    static func sha256(of block: UnsafeRawBufferPointer) -> Multihash {
        var hasher = SHA256()
        hasher.update(block)
        return Multihash(checked: .sha2_256, hasher.finalize())
    }
    static func identity(_ content: [UInt8]) -> Multihash { Multihash(checked: .identity, content) }

    static func read(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) throws(FetchError) -> Multihash {
        var cursor = offset
        let code: UInt64
        let length: UInt64
        do {
            code = try Varint.read(bytes, at: &cursor)
            length = try Varint.read(bytes, at: &cursor)
        } catch {
            throw .cid(.malformed("the multihash header is not a valid varint (\(error))"))
        }
        guard let function = Function(rawValue: code) else {
            throw .cid(.unsupported("hash function \(CID.hashName(code)); prty-fetch verifies sha2-256 and identity"))
        }
        switch function {
        case .sha2_256 where length != 32:
            throw .cid(.malformed("a sha2-256 multihash with a \(length)-byte digest"))
        case .identity where length > UInt64(maxIdentityLength):
            throw .cid(.unsupported("an identity CID of \(length) bytes (at most \(maxIdentityLength))"))
        default: break
        }
        guard UInt64(bytes.count - cursor) >= length else {
            throw .cid(.malformed("the multihash digest is cut short"))
        }
        let digest = Array(bytes[cursor..<(cursor + Int(length))])
        offset = cursor + Int(length)
        return Multihash(checked: function, digest)
    }

    var bytes: [UInt8] {
        var out = [UInt8]()
        Varint.write(function.rawValue, to: &out)
        Varint.write(UInt64(digest.count), to: &out)
        return out + digest
    }

    func verifies(_ block: UnsafeRawBufferPointer) -> Bool {
        switch function {
        case .identity: return block.count == digest.count && zip(block, digest).allSatisfy { $0 == $1 }
        case .sha2_256:
            var hasher = SHA256()
            hasher.update(block)
            return hasher.finalize() == digest
        }
    }
}

/// Names of the codes a CID may carry that this tool refuses, for its messages.
extension CID {
    static func codecName(_ code: UInt64) -> String {
        let names: [UInt64: String] = [
            0x71: "dag-cbor", 0x0129: "dag-json", 0x0200: "json", 0x51: "cbor", 0x72: "libp2p-key",
            0x78: "git-raw", 0x90: "eth-block", 0x0202: "car",
        ]
        return names[code].map { "\($0) (0x\(String(code, radix: 16)))" } ?? "0x\(String(code, radix: 16))"
    }

    static func hashName(_ code: UInt64) -> String {
        let names: [UInt64: String] = [
            0x11: "sha1", 0x13: "sha2-512", 0x14: "sha3-512", 0x16: "sha3-256", 0x1b: "keccak-256",
            0x1e: "blake3", 0xb220: "blake2b-256", 0xb260: "blake2s-256",
        ]
        return names[code].map { "\($0) (0x\(String(code, radix: 16)))" } ?? "0x\(String(code, radix: 16))"
    }
}
