import Shared

/// A 20-byte Ethereum account address. Parsed strictly: `0x` and 40 hex digits; when the digits mix upper and
/// lower case they must carry a valid EIP-55 checksum (a typo in a mixed-case address is caught, as geth and
/// cast do). Printed with the EIP-55 checksum.
struct Address: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    static let zero = Address(unchecked: [UInt8](repeating: 0, count: 20))

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    enum ParseError: Error, Equatable {
        case malformed
        case badChecksum(expected: String)
    }

    init(_ text: String) throws(ParseError) {
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else { throw .malformed }
        let digits = String(text.dropFirst(2))
        guard digits.utf8.count == 40, let bytes = Hex.decode(digits) else { throw .malformed }
        self.bytes = bytes
        let letters = digits.filter(\.isLetter)
        let mixed = letters.contains(where: \.isUppercase) && letters.contains(where: \.isLowercase)
        if mixed && "0x" + digits != checksummed { throw .badChecksum(expected: checksummed) }
    }

    /// The address of an uncompressed public key (64 bytes, without the 0x04 prefix).
    init(publicKey: [UInt8]) { bytes = Array(Keccak256.hash(publicKey).suffix(20)) }

    /// EIP-55: a hex letter is upper case when the matching nibble of keccak256(lower-case hex) is ≥ 8.
    var checksummed: String {
        let lower = Hex.encode(bytes)
        let hash = Keccak256.hash(Array(lower.utf8))
        var out = "0x"
        for (index, character) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            out.append(character.isLetter && nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return out
    }

    var description: String { checksummed }
    /// Lower-case `0x…`, as JSON-RPC parameters.
    var lowercased: String { "0x" + Hex.encode(bytes) }
}
