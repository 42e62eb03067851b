import Foundation
import Shared

/// The backend an llm task goes to (RUNNER_LLM_BACKEND), and what both speak alike: connection failures mean the
/// backend is absent (exit 69), 503 means busy (backed off), any other non-2xx fails the task with the backend's
/// own message.
enum LLMBackend: Sendable {
    case ollama(Ollama)
    case openai(OpenAI)

    static func load(_ settings: Settings, client: HTTPClient = .libcurl) throws -> LLMBackend {
        switch settings.string(.runnerLlmBackend) {
        case "openai":
            let url = Ollama.trim(settings.string(.runnerLlmUrl))
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError(
                    "RUNNER_LLM_BACKEND=openai needs RUNNER_LLM_URL, the backend's http:// origin "
                        + "(got \(url.isEmpty ? "nothing" : url.debugDescription))")
            }
            let base = url.hasSuffix("/v1") ? String(url.dropLast(3)) : url
            return .openai(OpenAI(origin: base, apiKey: settings.string(.runnerLlmApiKey), client: client))
        case "ollama", "":
            return .ollama(Ollama(origin: try Ollama.origin(settings), client: client))
        case let other:
            throw ConfigError(key: "RUNNER_LLM_BACKEND", value: other, expected: SettingKey.runnerLlmBackend.expected)
        }
    }

    var name: String {
        switch self {
        case .ollama(let ollama): "Ollama at \(ollama.origin)"
        case .openai(let openai): "the OpenAI-compatible backend at \(openai.origin)"
        }
    }

    func generate(_ task: ExecTask.LLM, firstToken: Double, betweenTokens: Double, log: Log) async throws -> Generation
    {
        switch self {
        case .ollama(let ollama):
            try await ollama.generate(task, firstToken: firstToken, betweenTokens: betweenTokens, log: log)
        case .openai(let openai):
            try await openai.generate(task, firstToken: firstToken, betweenTokens: betweenTokens, log: log)
        }
    }

    func capabilities(log: Log) async throws -> [JSON] {
        switch self {
        case .ollama(let ollama): try await ollama.capabilities(log: log)
        case .openai(let openai): try await openai.capabilities()
        }
    }

    /// Opens a streamed request; 503 is retried after 1, 2, 4 s (or the server's Retry-After, at most 30 s).
    static func open(_ request: HTTPRequest, client: HTTPClient, backend: String, log: Log) async throws
        -> HTTPStreamingResponse
    {
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPStreamingResponse
            do {
                response = try await client.stream(request)
            } catch let error as HTTPError {
                throw unavailable(error, backend: backend)
            }
            if response.isSuccess { return response }
            let collected = try await response.collect()
            if response.status == 503 && attempt < 4 {
                let delay = min(30, response.header("Retry-After").flatMap(Double.init) ?? Double(1 << (attempt - 1)))
                log.warning(
                    "llm_busy", "\(backend) is busy (HTTP 503); trying again in \(GoDuration.format(seconds: delay))")
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                try Interruption.check()
                continue
            }
            throw ExecError.llmFailed("\(backend) answered HTTP \(response.status): \(Self.errorText(collected.bytes))")
        }
    }

    static func send(_ request: HTTPRequest, client: HTTPClient, backend: String) async throws -> HTTPResponse {
        do {
            return try await client.send(request)
        } catch let error as HTTPError {
            throw unavailable(error, backend: backend)
        }
    }

    /// `{"error": "…"}` (Ollama) or `{"error": {"message": …}}` (OpenAI), else the start of the body.
    static func errorText(_ body: [UInt8]) -> String {
        if let document = try? JSONParser.parse(body) {
            if let text = document["error"]?.stringValue ?? document["error"]?["message"]?.stringValue { return text }
        }
        return String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func unavailable(_ error: HTTPError, backend: String) -> any Error {
        switch error {
        case .connectionRefused(let url), .unresolvedHost(_, let url), .socketUnavailable(_, let url, _):
            ExecError.backendUnavailable(url: url, detail: error.description)
        case .timedOut(let url, _, true):
            ExecError.backendUnavailable(url: url, detail: error.description)
        default: ExecError.llmFailed("\(backend): \(error)")
        }
    }
}
