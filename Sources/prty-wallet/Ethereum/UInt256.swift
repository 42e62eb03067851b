import Shared

/// An unsigned 256-bit integer: token amounts in base units, wei, ABI `uint256` words. Only what the wallet needs:
/// parsing and printing (decimal and hex), comparison, checked addition, subtraction and multiplication by a
/// small factor. Overflow is reported (`nil`), never wrapped. Four 64-bit limbs, least significant first.
struct UInt256: Sendable, Hashable, Comparable, CustomStringConvertible {
    private(set) var limbs: (UInt64, UInt64, UInt64, UInt64)

    static let zero = UInt256(0)
    static let max = UInt256(limbs: (.max, .max, .max, .max))

    init(_ value: UInt64) { limbs = (value, 0, 0, 0) }
    init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

    static func == (a: UInt256, b: UInt256) -> Bool { a.limbs == b.limbs }
    func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }

    static func < (a: UInt256, b: UInt256) -> Bool {
        if a.limbs.3 != b.limbs.3 { return a.limbs.3 < b.limbs.3 }
        if a.limbs.2 != b.limbs.2 { return a.limbs.2 < b.limbs.2 }
        if a.limbs.1 != b.limbs.1 { return a.limbs.1 < b.limbs.1 }
        return a.limbs.0 < b.limbs.0
    }

    var isZero: Bool { self == .zero }

    private var array: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }
    private init(array: [UInt64]) { limbs = (array[0], array[1], array[2], array[3]) }

    /// The value as an `UInt64`, when it fits.
    var uint64: UInt64? { limbs.1 == 0 && limbs.2 == 0 && limbs.3 == 0 ? limbs.0 : nil }

    // MARK: Arithmetic (checked)

    func adding(_ other: UInt256) -> UInt256? {
        let (sum, carry) = limbwise(other) { $0.addingReportingOverflow($1) }
        return carry == 0 ? sum : nil
    }

    func subtracting(_ other: UInt256) -> UInt256? {
        guard other <= self else { return nil }
        return limbwise(other) { $0.subtractingReportingOverflow($1) }.result
    }

    /// Adds or subtracts limb by limb, least significant first, carrying (or borrowing) one into the next limb;
    /// returns the 256-bit result and what is carried out of the top limb.
    private func limbwise(
        _ other: UInt256, _ operation: (UInt64, UInt64) -> (partialValue: UInt64, overflow: Bool)
    ) -> (result: UInt256, carry: UInt64) {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        let a = array
        let b = other.array
        for index in 0..<4 {
            let (first, overflow1) = operation(a[index], b[index])
            let (second, overflow2) = operation(first, carry)
            out[index] = second
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        return (UInt256(array: out), carry)
    }

    func multiplied(by factor: UInt64) -> UInt256? {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for (index, limb) in array.enumerated() {
            let (high, low) = limb.multipliedFullWidth(by: factor)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            out[index] = sum
            carry = high + (overflow ? 1 : 0)
        }
        return carry == 0 ? UInt256(array: out) : nil
    }

    /// Quotient and remainder of a division by a small non-zero divisor.
    func divided(by divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        var out = [UInt64](repeating: 0, count: 4)
        var remainder: UInt64 = 0
        let a = array
        for index in stride(from: 3, through: 0, by: -1) {
            let (quotient, rest) = divisor.dividingFullWidth((remainder, a[index]))
            out[index] = quotient
            remainder = rest
        }
        return (UInt256(array: out), remainder)
    }

    /// A percentage increase, rounded up: `gas * (100 + percent) / 100`.
    func increased(byPercent percent: UInt64) -> UInt256? {
        guard let scaled = multiplied(by: 100 + percent) else { return nil }
        let (quotient, remainder) = scaled.divided(by: 100)
        return remainder == 0 ? quotient : quotient.adding(UInt256(1))
    }

    static func power(ofTen exponent: Int) -> UInt256? {
        var value = UInt256(1)
        for _ in 0..<exponent {
            guard let next = value.multiplied(by: 10) else { return nil }
            value = next
        }
        return value
    }

    // MARK: Text and bytes

    /// Decimal digits only (no sign, no separators); nil when empty, malformed or above 2^256 − 1.
    init?(decimal text: Substring) {
        guard !text.isEmpty else { return nil }
        var value = UInt256.zero
        for character in text.utf8 {
            guard (48...57).contains(character),
                let shifted = value.multiplied(by: 10),
                let next = shifted.adding(UInt256(UInt64(character - 48)))
            else { return nil }
            value = next
        }
        self = value
    }

    init?(decimal text: String) { self.init(decimal: Substring(text)) }

    /// A JSON-RPC quantity (`0x1a`, at most 64 hex digits).
    init?(hexQuantity text: String) {
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
        let digits = text.dropFirst(2)
        guard !digits.isEmpty, digits.count <= 64 else { return nil }
        let padded = String(repeating: "0", count: digits.count % 2) + digits
        guard let bytes = Hex.decodeDigits(padded) else { return nil }
        self.init(bigEndian: bytes)
    }

    /// Big-endian bytes, at most 32 (fewer are left-padded with zeros).
    init?(bigEndian bytes: some Collection<UInt8>) {
        guard bytes.count <= 32 else { return nil }
        var out = [UInt64](repeating: 0, count: 4)
        for (position, byte) in bytes.reversed().enumerated() {
            out[position / 8] |= UInt64(byte) << UInt64(8 * (position % 8))
        }
        self.init(array: out)
    }

    /// 32 big-endian bytes (an ABI word).
    var bigEndianBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for (index, limb) in array.enumerated() {
            for byte in 0..<8 { out[31 - index * 8 - byte] = UInt8(truncatingIfNeeded: limb >> UInt64(8 * byte)) }
        }
        return out
    }

    /// Big-endian bytes without leading zeros (RLP's integer encoding; zero is empty).
    var minimalBytes: [UInt8] { Array(bigEndianBytes.drop { $0 == 0 }) }

    /// `0x` and lower-case hex without leading zeros (`0x0` for zero), as JSON-RPC quantities are written.
    var hexQuantity: String {
        let hex = Hex.encode(minimalBytes)
        let trimmed = hex.drop { $0 == "0" }
        return "0x" + (trimmed.isEmpty ? "0" : trimmed)
    }

    var description: String {
        if isZero { return "0" }
        var digits: [UInt8] = []
        var value = self
        while !value.isZero {
            let (quotient, remainder) = value.divided(by: 10)
            digits.append(UInt8(remainder) + 48)
            value = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

extension Hex {
    /// Hex digits without a prefix (either case); nil for odd length or a non-hex character.
    static func decodeDigits(_ text: some StringProtocol) -> [UInt8]? {
        let string = String(text)
        guard !string.hasPrefix("0x"), !string.hasPrefix("0X") else { return nil }
        return Hex.decode(string)
    }
}
