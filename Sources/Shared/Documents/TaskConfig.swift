import Foundation

/// The federated-learning task config that `--task FILE|JSON` names (docs/formats.md §3). It accepts
/// the server's whole Task (and reads its `config`) or the config itself, so one file drives a whole pipe.
/// Each tool reads its own section through `section(_:known:)`, which refuses unknown keys.
public struct TaskConfig: Sendable {
    public static let topLevelKeys = [
        "session_id", "round_id", "model_type", "dataset_cid", "data_format", "seed", "global_model",
        "output_format", "model_config", "partition_config", "train_config", "privacy_config",
    ]

    public let values: [String: JSON]

    private init(checked values: [String: JSON]) { self.values = values }

    public init(_ values: [String: JSON]) throws(UsageError) {
        for key in values.keys.sorted() where !Self.topLevelKeys.contains(key) {
            throw UsageError("unknown key '\(key)' in the task config; known keys: "
                + Self.topLevelKeys.joined(separator: ", "))
        }
        self.values = values
    }

    /// An empty config, for tools driven by flags alone.
    public static let empty = TaskConfig(checked: [:])

    /// Reads `argument`: inline JSON when it starts with `{`, otherwise a file path.
    public static func load(_ argument: String) throws -> TaskConfig {
        let trimmed = argument.drop { $0 == " " || $0 == "\n" || $0 == "\t" }
        let bytes: [UInt8]
        if trimmed.hasPrefix("{") {
            bytes = Array(argument.utf8)
        } else {
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw FileManager.default.fileExists(atPath: argument)
                    ? UsageError("cannot read the task file \(argument)")
                    : UsageError("no task file at \(argument) (give a path or inline JSON)")
            }
            bytes = Array(data)
        }
        let document: JSON
        do { document = try JSONParser.parse(bytes) } catch { throw UsageError("task: \(error.message)") }
        return try TaskConfig(document: document)
    }

    /// A server Task (`{"id", "type", "config", …}`) or a bare FL config.
    public init(document: JSON) throws(UsageError) {
        guard case .object(let object) = document else {
            throw UsageError("the task must be a JSON object, got \(document.typeName)")
        }
        if object["config"] != nil, object["type"] != nil || object["id"] != nil {
            if let type = object["type"]?.stringValue, type != "federated_learning" {
                throw UsageError("the task is of type '\(type)', not federated_learning")
            }
            guard case .object(let config)? = object["config"] else {
                throw UsageError("the task's config must be an object")
            }
            try self.init(config)
        } else {
            try self.init(object)
        }
    }

    public func string(_ key: String) throws(UsageError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw UsageError("\(key) must be a string, got \(value.typeName)") }
        return text
    }

    public var sessionID: String? { values["session_id"]?.stringValue }
    public var roundID: String? { values["round_id"]?.stringValue }

    /// The explicit `seed`, if the config has one (a non-negative integer up to 2^64−1).
    public func explicitSeed() throws(UsageError) -> UInt64? {
        guard let value = values["seed"], !value.isNull else { return nil }
        guard let seed = value.numberValue?.uint64 else {
            throw UsageError("seed must be a non-negative integer, got \(value.serialized())")
        }
        return seed
    }

    /// The session seed (docs/federated-learning.md §1): `seed`, else SHA-256(session_id), else 0 for a config
    /// with neither.
    public func sessionSeed() throws(UsageError) -> UInt64 {
        if let seed = try explicitSeed() { return seed }
        if let session = sessionID { return Seeds.session(id: session) }
        return 0
    }

    /// A section such as `partition_config`, with its keys checked against `known`. Missing or null: empty.
    public func section(_ name: String, known: [String]) throws(UsageError) -> ConfigSection {
        guard let value = values[name], !value.isNull else { return try ConfigSection(name: name, [:], known: known) }
        guard case .object(let object) = value else {
            throw UsageError("\(name) must be an object, got \(value.typeName)")
        }
        return try ConfigSection(name: name, object, known: known)
    }
}

/// One object of a task config, read with typed, range-checked accessors. Every message names section and key.
public struct ConfigSection: Sendable {
    public let name: String
    public let values: [String: JSON]

    public init(name: String, _ values: [String: JSON], known: [String]) throws(UsageError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw UsageError("unknown key '\(key)' in \(name); known keys: \(known.joined(separator: ", "))")
        }
        self.name = name
        self.values = values
    }

    public func has(_ key: String) -> Bool { values[key].map { !$0.isNull } ?? false }

    public func int(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw UsageError("\(name).\(key) must be an integer, got \(value.serialized())")
        }
        guard range.contains(number) else {
            throw UsageError("\(name).\(key) must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    public func double(_ key: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude
        ... Double.greatestFiniteMagnitude) throws(UsageError) -> Double? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw UsageError("\(name).\(key) must be a number, got \(value.serialized())")
        }
        guard range.contains(number) else {
            throw UsageError("\(name).\(key) must be in [\(range.lowerBound), \(range.upperBound)], got \(number)")
        }
        return number
    }

    public func bool(_ key: String) throws(UsageError) -> Bool? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else {
            throw UsageError("\(name).\(key) must be true or false, got \(value.serialized())")
        }
        return flag
    }

    public func string(_ key: String, choices: [String]? = nil) throws(UsageError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw UsageError("\(name).\(key) must be a string, got \(value.serialized())")
        }
        if let choices, !choices.contains(text) {
            throw UsageError("\(name).\(key) must be one of \(choices.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }
}
