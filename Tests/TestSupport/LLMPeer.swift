import Foundation

/// A real LLM for the tests (`peers/llm_server.py`): SmolLM2-135M through llama.cpp (PyPI xllamacpp), serving
/// llama.cpp's OpenAI API and our Ollama API over the same loaded model, both on 127.0.0.1 ports the OS picks.
/// Model names `busy-once`, `midstream-error`, `stall`, `nocount` and `empty` select test behaviours (see the
/// script). One peer serves a test process (started on first use, stopped at exit); a missing interpreter,
/// package or model makes `shared()` throw: the test fails, it is never skipped.
public final class LLMPeer: Sendable {
    public let ollama: String
    public let openai: String
    public let model: String
    private let process: PeerProcess

    private struct Announcement: Decodable {
        let ollama: String
        let openai: String
        let model: String
    }

    private static let instance = SharedPeer(start: { try LLMPeer() }, stop: { $0.stop() })

    public static func shared() throws -> LLMPeer { try instance.get() }

    private init(timeout: TimeInterval = 180) throws {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("prty-llm-\(UUID().uuidString).log")
        process = try PeerProcess.python(
            "the LLM peer", script: "llm_server.py", ["--port", "0"], stderr: .file(errors.path))
        let announcement = try process.announcement(Announcement.self, timeout: timeout)
        ollama = announcement.ollama
        openai = announcement.openai
        model = announcement.model
    }

    public func stop() { process.stop() }
}
