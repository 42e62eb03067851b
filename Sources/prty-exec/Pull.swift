import Shared

/// `prty-exec pull MODEL…`: pulls models into Ollama, with progress on stderr.
struct Pull {
    static let command = Command(
        "pull", summary: "pull models into the Ollama backend, with progress", arguments: "MODEL...",
        maxPositionals: nil, examples: ["prty-exec pull llama3.2:1b smollm2:135m"])

    let models: [String]
    let settings: Settings
    let log: Log

    init(_ invocation: Invocation) throws {
        models = invocation.arguments.positionals
        guard !models.isEmpty else {
            throw UsageError("pull needs at least one MODEL, e.g. prty-exec pull smollm2:135m")
        }
        settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        log = invocation.log
    }

    func run() async throws {
        guard case .ollama(let ollama) = try LLMBackend.load(settings) else {
            throw ExecError.unsupported(
                "pull needs the Ollama backend; an OpenAI-compatible server serves the models it was started with")
        }
        for model in models {
            do {
                try await ollama.pull(model, log: log)
            } catch ExecError.llmFailed(let why) {
                throw ExecError.protocolError("pulling \(model) failed: \(why)")
            }
            log.info("pulled", "\(model): ready", ["model": .string(model)])
        }
    }
}
