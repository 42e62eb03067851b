import Shared

/// The multibase encodings a CID string may use (github.com/multiformats/multibase): base58btc (`z`, and the
/// bare form of CIDv0), base32 lower/upper without padding (`b`/`B`, RFC 4648), base36 (`k`/`K`) and
/// base16 (`f`/`F`).
enum Multibase {
    enum Base: Sendable, Equatable {
        case base58btc, base32, base36, base16

        var prefix: Character {
            switch self {
            case .base58btc: "z"
            case .base32: "b"
            case .base36: "k"
            case .base16: "f"
            }
        }
    }

    /// Splits a multibase string into its base and decoded bytes; `nil` for an unknown prefix or a
    /// character outside the alphabet.
    static func decode(_ text: String) -> (Base, [UInt8])? {
        var utf8 = Array(text.utf8)
        guard let prefix = utf8.first else { return nil }
        utf8.removeFirst()
        switch prefix {
        case UInt8(ascii: "z"): return Base58.decode(utf8).map { (.base58btc, $0) }
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return Base32.decode(utf8).map { (.base32, $0) }
        case UInt8(ascii: "k"), UInt8(ascii: "K"): return Base36.decode(utf8).map { (.base36, $0) }
        case UInt8(ascii: "f"), UInt8(ascii: "F"): return Hex.decode(utf8).map { (.base16, $0) }
        default: return nil
        }
    }

    /// The multibase string of `bytes` (lower case where the base has cases).
    static func encode(_ bytes: [UInt8], _ base: Base) -> String {
        let body: [UInt8]
        switch base {
        case .base58btc: body = Base58.encode(bytes)
        case .base32: body = Base32.encode(bytes)
        case .base36: body = Base36.encode(bytes)
        case .base16: body = Array(Hex.encode(bytes).utf8)
        }
        return String(base.prefix) + String(decoding: body, as: UTF8.self)
    }
}

/// RFC 4648 base32, lower-case alphabet, no padding (upper case accepted on input, not mixed).
enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ bytes: [UInt8], alphabet: [UInt8] = alphabet) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return out
    }

    static func decode(_ text: [UInt8]) -> [UInt8]? {
        let upper = text.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        let lower = text.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        guard !(upper && lower) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for character in text {
            let value: UInt32
            switch character {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = UInt32(character - UInt8(ascii: "2")) + 26
            default: return nil
            }
            buffer = buffer << 5 | value
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be padding zeros, fewer than one character's worth.
        guard bits < 5, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}

/// Base-N encodings that treat the bytes as one big number (base58btc, base36), with each leading zero
/// byte written as the alphabet's first character.
struct BigBase {
    let alphabet: [UInt8]
    let values: [Int8]

    init(_ alphabet: String, caseInsensitive: Bool = false) {
        self.alphabet = Array(alphabet.utf8)
        var values = [Int8](repeating: -1, count: 256)
        for (index, character) in self.alphabet.enumerated() {
            values[Int(character)] = Int8(index)
            if caseInsensitive, character >= UInt8(ascii: "a"), character <= UInt8(ascii: "z") {
                values[Int(character - 32)] = Int8(index)
            }
        }
        self.values = values
    }

    func encode(_ bytes: [UInt8]) -> [UInt8] {
        let radix = UInt32(alphabet.count)
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits = [UInt8]()  // little-endian digits in `radix`
        for byte in bytes[zeros...] {
            var carry = UInt32(byte)
            for index in digits.indices {
                carry += UInt32(digits[index]) << 8
                digits[index] = UInt8(carry % radix)
                carry /= radix
            }
            while carry > 0 {
                digits.append(UInt8(carry % radix))
                carry /= radix
            }
        }
        return [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
    }

    func decode(_ text: [UInt8]) -> [UInt8]? {
        let radix = UInt32(alphabet.count)
        let zeros = text.prefix { $0 == alphabet[0] }.count
        var bytes = [UInt8]()  // little-endian
        for character in text[zeros...] {
            let value = values[Int(character)]
            guard value >= 0 else { return nil }
            var carry = UInt32(value)
            for index in bytes.indices {
                carry += UInt32(bytes[index]) * radix
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }
}

enum Base58 {
    static let codec = BigBase("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
    static func encode(_ bytes: [UInt8]) -> [UInt8] { codec.encode(bytes) }
    static func decode(_ text: [UInt8]) -> [UInt8]? { codec.decode(text) }
    static func encode(_ bytes: [UInt8]) -> String { String(decoding: codec.encode(bytes), as: UTF8.self) }
}

enum Base36 {
    static let codec = BigBase("0123456789abcdefghijklmnopqrstuvwxyz", caseInsensitive: true)
    static func encode(_ bytes: [UInt8]) -> [UInt8] { codec.encode(bytes) }
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        let upper = text.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        let lower = text.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        guard !(upper && lower) else { return nil }
        return codec.decode(text)
    }
}
