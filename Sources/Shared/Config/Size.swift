/// Byte sizes as docker and the Parity config write them: a number with an optional fraction and an optional
/// unit `k`, `m`, `g`, `t`, `p` (any case), optionally followed by `i` and/or `b`: `1024`, `100k`, `512m`,
/// `1.5g`, `2GiB`, `512MB`. Multiples are binary (k = 1024), as in docker's `RAMInBytes`; a trailing `b` alone
/// means bytes.
public enum Size {
    /// The size in bytes, rounded down to a whole byte.
    public static func bytes(_ text: String) throws(InvalidValue) -> Int64 {
        let quoted = "\"\(text)\""
        var s = Array(text.utf8)[...]
        var number: [UInt8] = []
        while let byte = s.first, byte.isDigit || byte == UInt8(ascii: ".") {
            number.append(byte)
            s = s.dropFirst()
        }
        guard let first = number.first, first.isDigit, number.last!.isDigit,
            number.filter({ $0 == UInt8(ascii: ".") }).count <= 1,
            let value = Double(String(decoding: number, as: UTF8.self))
        else {
            throw InvalidValue("\(quoted) is not a size (a number with an optional unit k, m, g or t)")
        }
        if s.first == UInt8(ascii: " ") { s = s.dropFirst() }
        var unit: UInt64 = 1
        if let letter = s.first, let power = powers[letter | 0x20] {
            unit = UInt64(1) << (10 * power)
            s = s.dropFirst()
            if let byte = s.first, byte | 0x20 == UInt8(ascii: "i") { s = s.dropFirst() }
        }
        if let byte = s.first, byte | 0x20 == UInt8(ascii: "b") { s = s.dropFirst() }
        guard s.isEmpty else {
            throw InvalidValue("\(quoted) has an unknown unit (use k, m, g or t, e.g. 512m or 2g)")
        }
        let bytes = (value * Double(unit)).rounded(.down)
        guard bytes < 9.2e18 else { throw InvalidValue("\(quoted) is too large") }
        return Int64(bytes)
    }

    /// The shortest exact form in the largest unit that divides the size: `2g`, `1536m`, `100k`, `1000`.
    public static func format(_ bytes: Int64) -> String {
        guard bytes > 0 else { return String(bytes) }
        for (suffix, power) in [("p", 5), ("t", 4), ("g", 3), ("m", 2), ("k", 1)] {
            let unit = Int64(1) << (10 * power)
            if bytes % unit == 0 { return "\(bytes / unit)\(suffix)" }
        }
        return String(bytes)
    }

    /// For people: `1.5 GiB`, `512 MiB`, `900 B`, with at most one decimal.
    public static func human(_ bytes: Int64) -> String {
        let names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var index = 0
        while abs(value) >= 1024 && index < names.count - 1 {
            value /= 1024
            index += 1
        }
        if index == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded()
        let text =
            tenths.truncatingRemainder(dividingBy: 10) == 0
            ? String(Int64(tenths / 10)) : String(Double(tenths) / 10)
        return "\(text) \(names[index])"
    }

    private static let powers: [UInt8: Int] = [
        UInt8(ascii: "k"): 1, UInt8(ascii: "m"): 2, UInt8(ascii: "g"): 3, UInt8(ascii: "t"): 4, UInt8(ascii: "p"): 5,
    ]
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
