import Shared

/// The server's Task object (docs/protocol.md, "Task"), reduced to what prty-exec runs. Decoded tolerantly as the
/// server sends it (missing fields, `null` config or environment), then checked: whatever cannot run fails here,
/// before anything starts.
struct ExecTask: Sendable {
    /// A docker task: `config.image_name`, `environment.config.{workdir, env, command}`, `config.resources`.
    struct Docker: Sendable, Equatable {
        var image: String
        var imageURL: String?
        var workdir: String
        var env: [String]
        var command: [String]
        var resources: Resources
    }

    /// A command task: `config.{command, working_dir, environment, timeout_seconds}`.
    struct CommandSpec: Sendable, Equatable {
        /// The command split on whitespace, as the server means it (no shell, no quoting).
        var argv: [String]
        var workingDir: String?
        var environment: [String: String]
        var timeoutSeconds: Double?
    }

    /// An llm task: `config.{model, prompt}` plus optional `system`, `messages`, `options`, `keep_alive`, `format`.
    struct LLM: Sendable, Equatable {
        var model: String
        var prompt: String
        var system: String?
        /// Chat messages (`[{role, content}]`); when present the chat endpoint is used.
        var messages: [JSON]?
        var options: [String: JSON]
        var keepAlive: JSON?
        var format: JSON?
    }

    /// What a task asks for; each value may only tighten the node's own limit.
    struct Resources: Sendable, Equatable {
        var memoryBytes: Int64?
        var cpuShares: Int?
        var timeoutSeconds: Double?
    }

    enum Kind: Sendable, Equatable {
        case docker(Docker)
        case command(CommandSpec)
        case llm(LLM)
    }

    var id: String
    var nonce: String
    var kind: Kind

    var typeName: String {
        switch kind {
        case .docker: "docker"
        case .command: "command"
        case .llm: "llm"
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> ExecTask {
        let document: JSON
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw ExecError.malformedTask(error.description)
        }
        guard let object = document.objectValue else {
            throw ExecError.malformedTask("expected a JSON object, got \(document.typeName)")
        }
        return try ExecTask(object)
    }

    init(_ task: [String: JSON]) throws {
        id = try Self.string(task, "id", in: "the Task") ?? ""
        nonce = try Self.string(task, "nonce", in: "the Task") ?? ""
        let type = try Self.string(task, "type", in: "the Task") ?? ""
        let config = try Self.object(task, "config", in: "the Task") ?? [:]
        switch type {
        case "docker":
            let environment = try Self.object(task, "environment", in: "the Task") ?? [:]
            if let envType = try Self.string(environment, "type", in: "environment"), envType != "docker" {
                throw ExecError.invalidTask("a docker task needs environment.type \"docker\", got \"\(envType)\"")
            }
            let env = try Self.object(environment, "config", in: "environment") ?? [:]
            guard let image = try Self.string(config, "image_name", in: "config"), !image.isEmpty else {
                throw ExecError.invalidTask("a docker task needs config.image_name")
            }
            let imageURL = try Self.string(config, "docker_image_url", in: "config")
            kind = .docker(
                Docker(
                    image: image, imageURL: imageURL?.isEmpty == false ? imageURL : nil,
                    workdir: try Self.string(env, "workdir", in: "environment.config").flatMap { $0.isEmpty ? nil : $0 }
                        ?? "/",
                    env: try Self.strings(env, "env", in: "environment.config"),
                    command: try Self.strings(env, "command", in: "environment.config"),
                    resources: try Self.resources(config)))
        case "command":
            guard let line = try Self.string(config, "command", in: "config") else {
                throw ExecError.invalidTask("a command task needs config.command")
            }
            let argv = Self.fields(line)
            guard !argv.isEmpty else { throw ExecError.invalidTask("config.command is empty") }
            var environment: [String: String] = [:]
            for (key, value) in try Self.object(config, "environment", in: "config") ?? [:] {
                guard let text = value.stringValue ?? value.numberValue?.text ?? value.boolValue.map(String.init) else {
                    throw ExecError.invalidTask("config.environment.\(key) must be a string, got \(value.typeName)")
                }
                guard !key.isEmpty, !key.contains("="), !key.contains("\0"), !text.contains("\0") else {
                    throw ExecError.invalidTask("config.environment has an invalid variable name \"\(key)\"")
                }
                environment[key] = text
            }
            var timeout: Double? = nil
            if let value = config["timeout_seconds"], !value.isNull {
                guard let seconds = value.doubleValue, seconds.isFinite, seconds >= 0 else {
                    throw ExecError.invalidTask("config.timeout_seconds must be a number of seconds ≥ 0")
                }
                timeout = seconds > 0 ? seconds : nil  // 0: the server's "unset"
            }
            kind = .command(
                CommandSpec(
                    argv: argv,
                    workingDir: try Self.string(config, "working_dir", in: "config").flatMap {
                        $0.isEmpty ? nil : $0
                    }, environment: environment, timeoutSeconds: timeout))
        case "llm":
            guard let prompt = try Self.string(config, "prompt", in: "config") else {
                throw ExecError.invalidTask("an llm task needs config.prompt")
            }
            let messages = try Self.array(config, "messages", in: "config")
            if prompt.isEmpty && (messages ?? []).isEmpty {
                throw ExecError.invalidTask("config.prompt is empty")
            }
            let model = try Self.string(config, "model", in: "config") ?? ""
            kind = .llm(
                LLM(
                    model: model.isEmpty ? "llama2" : model, prompt: prompt,
                    system: try Self.string(config, "system", in: "config"), messages: messages,
                    options: try Self.object(config, "options", in: "config") ?? [:],
                    keepAlive: config["keep_alive"].flatMap { $0.isNull ? nil : $0 },
                    format: config["format"].flatMap { $0.isNull ? nil : $0 }))
        case "":
            throw ExecError.invalidTask("the Task has no type (expected docker, command or llm)")
        case "federated_learning":
            throw ExecError.invalidTask(
                "federated_learning tasks run through prty-fetch | prty-partition | prty-train, not prty-exec")
        default:
            throw ExecError.invalidTask("unknown task type \"\(type)\" (expected docker, command or llm)")
        }
    }

    /// §8's nonce check: non-empty, and even-length hex or `<integer>-…`.
    static func isValidNonce(_ nonce: String) -> Bool {
        guard !nonce.isEmpty, nonce.count <= 64 else { return false }
        if nonce.count % 2 == 0, nonce.allSatisfy(\.isHexDigit) { return true }
        let head = nonce.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return nonce.contains("-") && Int(head) != nil
    }

    /// Go's `strings.Fields`: split on runs of Unicode white space.
    static func fields(_ line: String) -> [String] {
        line.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    // MARK: Field access

    private static func string(_ object: [String: JSON], _ key: String, in place: String) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw ExecError.invalidTask("\(place).\(key) must be a string, got \(value.typeName)")
        }
        return text
    }

    private static func object(_ object: [String: JSON], _ key: String, in place: String) throws -> [String: JSON]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let members = value.objectValue else {
            throw ExecError.invalidTask("\(place).\(key) must be an object, got \(value.typeName)")
        }
        return members
    }

    private static func array(_ object: [String: JSON], _ key: String, in place: String) throws -> [JSON]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let items = value.arrayValue else {
            throw ExecError.invalidTask("\(place).\(key) must be an array, got \(value.typeName)")
        }
        return items
    }

    private static func strings(_ object: [String: JSON], _ key: String, in place: String) throws -> [String] {
        try (array(object, key, in: place) ?? []).map { item in
            guard let text = item.stringValue, !text.contains("\0") else {
                throw ExecError.invalidTask("\(place).\(key) must be an array of strings")
            }
            return text
        }
    }

    /// `config.resources`: `memory` ("32m"), `cpu_shares` (integer), `timeout` ("30s").
    private static func resources(_ config: [String: JSON]) throws -> Resources {
        guard let resources = try object(config, "resources", in: "config") else { return Resources() }
        var result = Resources()
        if let text = try string(resources, "memory", in: "config.resources"), !text.isEmpty {
            guard let bytes = try? Size.bytes(text), bytes > 0 else {
                throw ExecError.invalidTask("config.resources.memory \"\(text)\" is not a size such as 32m or 1g")
            }
            result.memoryBytes = bytes
        }
        if let value = resources["cpu_shares"], !value.isNull {
            guard let shares = value.intValue, shares >= 2 else {
                throw ExecError.invalidTask("config.resources.cpu_shares must be a whole number ≥ 2")
            }
            result.cpuShares = shares
        }
        if let text = try string(resources, "timeout", in: "config.resources"), !text.isEmpty {
            guard let seconds = try? GoDuration.seconds(text), seconds > 0 else {
                throw ExecError.invalidTask("config.resources.timeout \"\(text)\" is not a duration such as 30s")
            }
            result.timeoutSeconds = seconds
        }
        return result
    }
}
