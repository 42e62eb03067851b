/// Recursive Length Prefix encoding (Ethereum Yellow Paper, appendix B): byte strings and lists of items.
/// Transactions are RLP lists; only encoding is needed to sign and send them.
enum RLP: Equatable {
    case bytes([UInt8])
    case list([RLP])

    /// An integer item: big-endian without leading zeros (zero is the empty string).
    static func int(_ value: UInt256) -> RLP { .bytes(value.minimalBytes) }
    static func int(_ value: UInt64) -> RLP { .int(UInt256(value)) }

    var encoded: [UInt8] {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 { return bytes }
            return Self.header(length: bytes.count, offset: 0x80) + bytes
        case .list(let items):
            let payload = items.flatMap(\.encoded)
            return Self.header(length: payload.count, offset: 0xC0) + payload
        }
    }

    private static func header(length: Int, offset: UInt8) -> [UInt8] {
        if length < 56 { return [offset + UInt8(length)] }
        let lengthBytes = UInt256(UInt64(length)).minimalBytes
        return [offset + 55 + UInt8(lengthBytes.count)] + lengthBytes
    }
}
