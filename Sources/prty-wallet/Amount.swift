import Foundation

/// Token amounts as exact decimals: "10.5" with 18 decimals is 10500000000000000000 base units, computed on
/// digits, never through floating point. More fraction digits than the token has is an error, not a rounding.
enum Amount {
    /// Base units of `text` (digits, at most one '.') for a token with `decimals` decimals.
    static func parse(_ text: String, decimals: Int) throws(WalletError) -> UInt256 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let example = "e.g. --amount 10.5"
        if trimmed.hasPrefix("-") { throw .amount("the amount must be positive, got '\(text)'; \(example)") }
        let parts = trimmed.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2, !trimmed.isEmpty, trimmed != ".",
            parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } })
        else {
            throw .amount("the amount must be a decimal number of tokens such as 10 or 10.5, got '\(text)'")
        }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        let significantFraction = fraction.reversed().drop { $0 == "0" }.count
        guard significantFraction <= decimals else {
            throw .amount(
                "'\(text)' has more fraction digits than the token's \(decimals) decimals; "
                    + "the smallest amount is \(format(UInt256(1), decimals: decimals))")
        }
        let digits =
            String(whole) + String(fraction.prefix(decimals))
            + String(repeating: "0", count: max(0, decimals - fraction.count))
        guard let value = UInt256(decimal: digits.isEmpty ? "0" : digits) else {
            throw .amount("the amount '\(text)' is too large")
        }
        guard !value.isZero else { throw .amount("the amount must be more than zero, got '\(text)'; \(example)") }
        return value
    }

    /// Checks an amount's form (digits, sign, zero) before the token's decimals are known.
    static func check(_ text: String) throws(WalletError) {
        let fraction = text.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
        _ = try parse(text, decimals: fraction)
    }

    /// `value` base units as a decimal string with at most `decimals` fraction digits, trailing zeros removed.
    static func format(_ value: UInt256, decimals: Int) -> String {
        var digits = value.description
        guard decimals > 0 else { return digits }
        if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -decimals)
        let fraction = digits[split...].reversed().drop { $0 == "0" }.reversed()
        return fraction.isEmpty ? String(digits[..<split]) : digits[..<split] + "." + String(fraction)
    }
}
