import Foundation
import Shared

/// The Ollama API (docs/exec.md, "LLM"): streamed NDJSON from `/api/generate` or `/api/chat`, `options` and
/// `keep_alive` passed through, errors that arrive mid-stream, 503 (queue full) backed off, and `/api/tags`,
/// `/api/ps`, `/api/show`, `/api/pull` for `prty-exec models` and `pull`.
struct Ollama: Sendable {
    /// `http://127.0.0.1:11434`, no trailing slash.
    let origin: String
    let client: HTTPClient

    /// RUNNER_OLLAMA_URL when set, else OLLAMA_HOST (`host:port`, `0.0.0.0` meaning this host), else the default.
    static func origin(_ settings: Settings) throws -> String {
        let (text, source) = settings.lookup(.runnerOllamaUrl)
        if source == .defaultValue, let host = settings.environment["OLLAMA_HOST"], !host.isEmpty {
            var value = host.hasPrefix("http://") || host.hasPrefix("https://") ? host : "http://" + host
            value = value.replacingOccurrences(of: "://0.0.0.0", with: "://127.0.0.1")
            if value.split(separator: ":").count < 3 { value += ":11434" }
            return Self.trim(value)
        }
        _ = try settings.url(.runnerOllamaUrl)
        return Self.trim(text)
    }

    static func trim(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The request body: generate (prompt) or chat (messages), streaming, options as given.
    static func body(_ task: ExecTask.LLM) -> (path: String, body: JSON) {
        var body: [String: JSON] = ["model": .string(task.model), "stream": true]
        if !task.options.isEmpty { body["options"] = .object(task.options) }
        if let keepAlive = task.keepAlive { body["keep_alive"] = keepAlive }
        if let format = task.format { body["format"] = format }
        if let messages = task.messages, !messages.isEmpty {
            var all: [JSON] = []
            if let system = task.system { all.append(["role": "system", "content": .string(system)]) }
            all += messages
            if !task.prompt.isEmpty { all.append(["role": "user", "content": .string(task.prompt)]) }
            body["messages"] = .array(all)
            return ("/api/chat", .object(body))
        }
        body["prompt"] = .string(task.prompt)
        if let system = task.system { body["system"] = .string(system) }
        return ("/api/generate", .object(body))
    }

    func generate(_ task: ExecTask.LLM, firstToken: Double, betweenTokens: Double, log: Log) async throws -> Generation
    {
        let (path, body) = Self.body(task)
        var request = HTTPRequest.json(.post, origin + path, Data(body.serialized().utf8))
        request.timeout = 1e7  // the token clocks bound it
        request.maxResponseBytes = nil
        let client = self.client
        let sent = request
        let origin = self.origin
        return try await TokenStream.read(
            open: { try await LLMBackend.open(sent, client: client, backend: "Ollama at \(origin)", log: log) },
            firstToken: firstToken, betweenTokens: betweenTokens, backend: "Ollama at \(origin)",
            handle: { line, generation in
                guard let event = try? JSONParser.parse(line) else {
                    throw ExecError.llmFailed("Ollama sent a line that is not JSON: \(line.prefix(120))")
                }
                if let error = event["error"]?.stringValue { throw ExecError.llmFailed("Ollama: \(error)") }
                let piece = event["response"]?.stringValue ?? event["message"]?["content"]?.stringValue ?? ""
                generation.text += piece
                if !piece.isEmpty { generation.pieces += 1 }
                if event["done"]?.boolValue == true {
                    generation.done = true
                    generation.promptTokens = event["prompt_eval_count"]?.intValue
                    generation.responseTokens = event["eval_count"]?.intValue
                }
                return !piece.isEmpty
            })
    }

    // MARK: Models

    func json(_ method: HTTPRequest.Method, _ path: String, body: JSON? = nil) async throws -> JSON {
        var request =
            if let body { HTTPRequest.json(method, origin + path, Data(body.serialized().utf8)) } else {
                HTTPRequest(method, origin + path)
            }
        request.timeout = 30
        let response = try await LLMBackend.send(request, client: client, backend: "Ollama at \(origin)")
        guard response.isSuccess, let document = try? JSONParser.parse(response.bytes) else {
            throw ExecError.protocolError(
                "Ollama at \(origin) answered \(method) \(path) with HTTP \(response.status): "
                    + EngineAPI.message(response.bytes))
        }
        return document
    }

    func capabilities(log: Log) async throws -> [JSON] {
        let tags = try await json(.get, "/api/tags")["models"]?.arrayValue ?? []
        let loaded = Set(
            ((try? await json(.get, "/api/ps"))?["models"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        var rows: [JSON] = []
        for model in tags {
            guard let name = model["name"]?.stringValue ?? model["model"]?.stringValue else { continue }
            var maxTokens = 2048
            if let info = (try? await json(.post, "/api/show", body: ["model": .string(name)]))?["model_info"]?
                .objectValue
            {
                for (key, value) in info where key.hasSuffix(".context_length") {
                    if let length = value.intValue, length > 0 { maxTokens = length }
                }
            }
            rows.append([
                "model_name": .string(name), "is_loaded": .bool(loaded.contains(name)), "max_tokens": .int(maxTokens),
            ])
        }
        return rows
    }

    /// `POST /api/pull`, its NDJSON progress as a bar (or events) on stderr.
    func pull(_ model: String, log: Log) async throws {
        var request = HTTPRequest.json(
            .post, origin + "/api/pull", Data((["model": .string(model), "stream": true] as JSON).serialized().utf8))
        request.timeout = 1e7
        request.idleTimeout = 300
        request.maxResponseBytes = nil
        let response = try await LLMBackend.open(request, client: client, backend: "Ollama at \(origin)", log: log)
        var progress: ProgressReporter?
        var digest = ""
        var last = ""
        for try await line in response.body.lines where !line.isEmpty {
            guard let event = try? JSONParser.parse(line) else { continue }
            if let error = event["error"]?.stringValue { throw ExecError.llmFailed("pulling \(model): \(error)") }
            let status = event["status"]?.stringValue ?? ""
            if let layer = event["digest"]?.stringValue, let total = event["total"]?.numberValue?.uint64 {
                if layer != digest {
                    progress?.finish()
                    digest = layer
                    progress = ProgressReporter(
                        log: log, label: "\(model) \(layer.prefix(19))", unit: .bytes, total: Int64(clamping: total))
                }
                progress?.update(done: Int64(clamping: event["completed"]?.numberValue?.uint64 ?? 0))
            } else if status != last {
                progress?.finish()
                progress = nil
                last = status
                log.info("pull_status", "\(model): \(status)", ["model": .string(model), "status": .string(status)])
            }
            if status == "success" { return }
        }
        progress?.finish()
    }
}
