import Shared

/// Why a call reverted, from its return data: `Error(string)` (a `require` message), `Panic(uint256)` (an
/// assertion, overflow, division by zero …), or a custom error of the Parity contracts' ABIs, by selector.
enum RevertReason {
    /// Custom errors the token and stake contracts declare (Tests/Fixtures/contracts/*.abi.json), plus
    /// OpenZeppelin's ERC-20 errors, which a token upgraded to OpenZeppelin 5 reverts with.
    static let customErrors: [(signature: String, types: [ABIType])] = [
        ("OwnableUnauthorizedAccount(address)", [.address]),
        ("OwnableInvalidOwner(address)", [.address]),
        ("ERC20InsufficientBalance(address,uint256,uint256)", [.address, .uint, .uint]),
        ("ERC20InsufficientAllowance(address,uint256,uint256)", [.address, .uint, .uint]),
        ("ERC20InvalidSpender(address)", [.address]),
        ("ERC20InvalidReceiver(address)", [.address]),
    ]

    /// A one-line reason from the revert data when there is any, else from the node's message.
    static func describe(data: [UInt8]?, message: String) -> String {
        if let data, let reason = decode(data) { return reason }
        var text = message
        for prefix in ["execution reverted: ", "execution reverted"] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
            break
        }
        return text.isEmpty ? "no reason given" : text
    }

    static func decode(_ data: [UInt8]) -> String? {
        guard data.count >= 4 else { return data.isEmpty ? "no reason given" : nil }
        let selector = Array(data[0..<4])
        let body = Array(data[4...])
        if selector == ABI.selector("Error(string)"),
            case .string(let text)? = try? ABI.decode([.string], from: body).first
        {
            return text
        }
        if selector == ABI.selector("Panic(uint256)"),
            case .uint(let code)? = try? ABI.decode([.uint], from: body).first
        {
            return
                "panic 0x\(String(code.uint64 ?? 0, radix: 16, uppercase: false)) (\(panicMeaning(code.uint64 ?? 0)))"
        }
        for error in customErrors where ABI.selector(error.signature) == selector {
            let name = String(error.signature.prefix { $0 != "(" })
            guard let values = try? ABI.decode(error.types, from: body) else { return name }
            return name + "(" + values.map(show).joined(separator: ", ") + ")"
        }
        return "custom error 0x\(Hex.encode(selector))"
    }

    private static func show(_ value: ABIValue) -> String {
        switch value {
        case .uint(let number): number.description
        case .address(let address): address.checksummed
        case .bool(let flag): String(flag)
        case .string(let text): text.debugDescription
        case .bytes(let bytes): "0x" + Hex.encode(bytes)
        }
    }

    /// Solidity's panic codes (docs.soliditylang.org, "Panic via assert and Error via require").
    static func panicMeaning(_ code: UInt64) -> String {
        switch code {
        case 0x01: "assertion failed"
        case 0x11: "arithmetic overflow or underflow"
        case 0x12: "division or modulo by zero"
        case 0x21: "invalid enum value"
        case 0x22: "bad storage byte array encoding"
        case 0x31: "pop on an empty array"
        case 0x32: "array index out of bounds"
        case 0x41: "out of memory"
        case 0x51: "call to an uninitialised function"
        default: "generic panic"
        }
    }
}
