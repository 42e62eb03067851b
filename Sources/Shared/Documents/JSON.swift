/// A JSON value for the small documents (tasks, configs, results, logs). Bulk numeric arrays (a Dataset's
/// features) do not go through this type: `DatasetReader`/`DatasetWriter` stream them.
///
/// Objects are written with sorted keys, never in `Dictionary` order, so the same value is always the same bytes.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public static func double(_ value: Double) -> JSON { .number(JSONNumber(value)) }
    public static func int(_ value: Int) -> JSON { .number(JSONNumber(value)) }
    public static func uint64(_ value: UInt64) -> JSON { .number(JSONNumber(value)) }
    public static func doubles(_ values: [Double]) -> JSON { .array(values.map { .double($0) }) }
    public static func ints(_ values: [Int]) -> JSON { .array(values.map { .int($0) }) }
    public static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }

    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    public var objectValue: [String: JSON]? { if case .object(let v) = self { v } else { nil } }
    public var arrayValue: [JSON]? { if case .array(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var numberValue: JSONNumber? { if case .number(let v) = self { v } else { nil } }
    public var doubleValue: Double? { numberValue?.double }
    /// The value as an exact integer: `nil` for 2.5, for 1e300, and for anything that is not a number.
    public var intValue: Int? { numberValue?.int }
    public var isNull: Bool { self == .null }

    /// The JSON type's name, for error messages ("expected a number, got a string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number that keeps its exact text, so 64-bit seeds and big integers survive a round trip.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The canonical literal: integers as digits, other values in shortest round-trip form.
    public let text: String

    public init(_ value: Double) {
        text = value.isFinite ? NumberFormat.shortest(value) : "null"  // callers check finiteness first
    }
    public init(_ value: Int) { text = String(value) }
    public init(_ value: UInt64) { text = String(value) }
    /// From a literal already checked by the JSON grammar.
    init(literal: String) { text = literal }

    public var double: Double { Double(text) ?? .nan }
    public var int: Int? {
        if let exact = Int(text) { return exact }
        guard let value = Double(text), value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
    public var uint64: UInt64? {
        if let exact = UInt64(text) { return exact }
        guard let value = Double(text), value >= 0, value.rounded() == value, value < 9.0e15 else { return nil }
        return UInt64(value)
    }
    public var description: String { text }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
