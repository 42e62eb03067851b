import Shared

/// The Solidity contract ABI (docs.soliditylang.org, "Contract ABI Specification"): the values our calls use,
/// head/tail encoding of static and dynamic types, and decoding of return data.
enum ABIValue: Equatable, Sendable {
    case uint(UInt256)
    case address(Address)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])

    var isDynamic: Bool {
        switch self {
        case .string, .bytes: true
        case .uint, .address, .bool: false
        }
    }
}

/// The ABI types we decode.
enum ABIType: Equatable, Sendable {
    case uint, address, bool, string, bytes
}

enum ABI {
    /// The 4-byte selector of a function or error signature, e.g. `addFunds(uint256,string,address)`.
    static func selector(_ signature: String) -> [UInt8] { Array(Keccak256.hash(signature).prefix(4)) }

    /// Calldata: the selector, then the encoded arguments.
    static func call(_ signature: String, _ arguments: [ABIValue]) -> [UInt8] {
        selector(signature) + encode(arguments)
    }

    /// A tuple of values, heads first (static values in place, offsets for dynamic ones), then the tails.
    static func encode(_ values: [ABIValue]) -> [UInt8] {
        var heads: [UInt8] = []
        var tails: [UInt8] = []
        let headSize = values.count * 32
        for value in values {
            switch value {
            case .uint(let number): heads += number.bigEndianBytes
            case .address(let address): heads += [UInt8](repeating: 0, count: 12) + address.bytes
            case .bool(let flag): heads += UInt256(flag ? 1 : 0).bigEndianBytes
            case .string(let text):
                heads += UInt256(UInt64(headSize + tails.count)).bigEndianBytes
                tails += dynamicBytes(Array(text.utf8))
            case .bytes(let bytes):
                heads += UInt256(UInt64(headSize + tails.count)).bigEndianBytes
                tails += dynamicBytes(bytes)
            }
        }
        return heads + tails
    }

    private static func dynamicBytes(_ bytes: [UInt8]) -> [UInt8] {
        let padding = (32 - bytes.count % 32) % 32
        return UInt256(UInt64(bytes.count)).bigEndianBytes + bytes + [UInt8](repeating: 0, count: padding)
    }

    enum DecodeError: Error, Equatable, CustomStringConvertible {
        case short(need: Int, have: Int)
        case badValue(String)
        var description: String {
            switch self {
            case .short(let need, let have): "return data too short (\(have) bytes, need \(need))"
            case .badValue(let what): what
            }
        }
    }

    /// Decodes return data as a tuple of `types`. Offsets and lengths are checked against the data.
    static func decode(_ types: [ABIType], from data: [UInt8]) throws(DecodeError) -> [ABIValue] {
        var values: [ABIValue] = []
        for (index, type) in types.enumerated() {
            let word = try self.word(data, at: index * 32)
            switch type {
            case .uint: values.append(.uint(word))
            case .address:
                let raw = try slice(data, index * 32, 32)
                guard raw[0..<12].allSatisfy({ $0 == 0 }) else { throw .badValue("address word has high bytes set") }
                values.append(.address(Address(unchecked: Array(raw[12...]))))
            case .bool:
                guard word <= UInt256(1) else { throw .badValue("bool word is neither 0 nor 1") }
                values.append(.bool(word == UInt256(1)))
            case .string, .bytes:
                guard let offset = word.uint64, offset <= UInt64(data.count) else {
                    throw .badValue("offset out of range")
                }
                let lengthWord = try self.word(data, at: Int(offset))
                guard let length = lengthWord.uint64, length <= UInt64(data.count) else {
                    throw .badValue("length out of range")
                }
                let content = try slice(data, Int(offset) + 32, Int(length))
                if type == .string {
                    guard let text = String(validating: content, as: UTF8.self) else {
                        throw .badValue("string is not UTF-8")
                    }
                    values.append(.string(text))
                } else {
                    values.append(.bytes(content))
                }
            }
        }
        return values
    }

    private static func word(_ data: [UInt8], at offset: Int) throws(DecodeError) -> UInt256 {
        // Cannot fail: the slice is exactly 32 bytes.
        UInt256(bigEndian: try slice(data, offset, 32)) ?? .zero
    }

    private static func slice(_ data: [UInt8], _ offset: Int, _ count: Int) throws(DecodeError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= data.count, count <= data.count - offset else {
            throw .short(need: offset + count, have: data.count)
        }
        return Array(data[offset..<(offset + count)])
    }
}
