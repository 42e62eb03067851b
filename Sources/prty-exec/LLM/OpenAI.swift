import Foundation
import Shared

/// An OpenAI-compatible backend (llama.cpp's server, vLLM): `/v1/chat/completions` streamed as server-sent events
/// with `stream_options.include_usage`, so the token counts are the backend's own; `/v1/models` for `models`.
struct OpenAI: Sendable {
    /// `http://127.0.0.1:8000`, without `/v1`.
    let origin: String
    let apiKey: String
    let client: HTTPClient

    /// Ollama's option names mapped to the OpenAI request's (llama.cpp and vLLM accept `top_k` and
    /// `repeat_penalty` too); others are left out.
    static let optionNames = [
        "num_predict": "max_tokens", "temperature": "temperature", "top_p": "top_p", "top_k": "top_k",
        "seed": "seed", "stop": "stop", "repeat_penalty": "repeat_penalty", "presence_penalty": "presence_penalty",
        "frequency_penalty": "frequency_penalty", "min_p": "min_p",
    ]

    static func body(_ task: ExecTask.LLM) -> JSON {
        var messages: [JSON] = []
        if let system = task.system { messages.append(["role": "system", "content": .string(system)]) }
        messages += task.messages ?? []
        if !task.prompt.isEmpty { messages.append(["role": "user", "content": .string(task.prompt)]) }
        var body: [String: JSON] = [
            "model": .string(task.model), "messages": .array(messages), "stream": true,
            "stream_options": ["include_usage": true],
        ]
        for (key, value) in task.options { if let name = optionNames[key] { body[name] = value } }
        if task.format == "json" { body["response_format"] = ["type": "json_object"] }
        return .object(body)
    }

    private func authorized(_ request: HTTPRequest) -> HTTPRequest {
        var request = request
        if !apiKey.isEmpty { request.headers["Authorization"] = "Bearer \(apiKey)" }
        return request
    }

    func generate(_ task: ExecTask.LLM, firstToken: Double, betweenTokens: Double, log: Log) async throws -> Generation
    {
        var request = authorized(
            HTTPRequest.json(.post, origin + "/v1/chat/completions", Data(Self.body(task).serialized().utf8)))
        request.headers["Accept"] = "text/event-stream"
        request.timeout = 1e7
        request.maxResponseBytes = nil
        let backend = "the OpenAI-compatible backend at \(origin)"
        let client = self.client
        let sent = request
        return try await TokenStream.read(
            open: { try await LLMBackend.open(sent, client: client, backend: backend, log: log) },
            firstToken: firstToken, betweenTokens: betweenTokens, backend: backend,
            handle: { line, generation in
                guard line.hasPrefix("data:") else { return false }  // comments, event names, keep-alives
                let data = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                if data == "[DONE]" {
                    generation.done = true
                    return false
                }
                guard let event = try? JSONParser.parse(data) else {
                    throw ExecError.llmFailed("the backend sent an event that is not JSON: \(data.prefix(120))")
                }
                if let error = event["error"], !error.isNull {
                    throw ExecError.llmFailed(
                        "the backend: \(error["message"]?.stringValue ?? error.stringValue ?? error.serialized())")
                }
                if let usage = event["usage"], !usage.isNull {
                    generation.promptTokens = usage["prompt_tokens"]?.intValue
                    generation.responseTokens = usage["completion_tokens"]?.intValue
                }
                var piece = ""
                for choice in event["choices"]?.arrayValue ?? [] {
                    piece += choice["delta"]?["content"]?.stringValue ?? choice["text"]?.stringValue ?? ""
                }
                generation.text += piece
                if !piece.isEmpty { generation.pieces += 1 }
                return !piece.isEmpty
            })
    }

    func capabilities() async throws -> [JSON] {
        var request = authorized(HTTPRequest(.get, origin + "/v1/models"))
        request.timeout = 30
        let response = try await LLMBackend.send(request, client: client, backend: "the backend at \(origin)")
        guard response.isSuccess, let document = try? JSONParser.parse(response.bytes) else {
            throw ExecError.protocolError("GET \(origin)/v1/models answered HTTP \(response.status)")
        }
        return (document["data"]?.arrayValue ?? []).compactMap { model in
            guard let id = model["id"]?.stringValue else { return nil }
            // llama.cpp: meta.n_ctx_train; vLLM: max_model_len.
            let context = model["max_model_len"]?.intValue ?? model["meta"]?["n_ctx_train"]?.intValue ?? 2048
            return ["model_name": .string(id), "is_loaded": true, "max_tokens": .int(context)]
        }
    }
}
