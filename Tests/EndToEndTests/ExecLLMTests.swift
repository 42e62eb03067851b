import Foundation
import Shared
import TestSupport
import Testing

/// llm tasks and `models`/`pull` against a real model (SmolLM2-135M in llama.cpp, `LLMPeer`): through its OpenAI
/// API and through our Ollama-API server over the same model. Generations are kept short (2 cores are shared).
@Suite(.serialized)
struct ExecLLMTests {
    static func run(_ config: [String: JSON], _ environment: [String: String], arguments: [String] = [])
        throws -> (ToolResult, JSON)
    {
        let task: JSON = ["id": "llm-1", "type": "llm", "config": .object(config)]
        var env = ["PARITY_CONFIG_PATH": "/dev/null"]
        for (key, value) in environment { env[key] = value }
        let run = try runTool(
            "prty-exec", arguments, stdin: Data(task.serialized().utf8), environment: env, timeout: 120)
        return (run, (try? JSONParser.parse(run.stdoutText)) ?? .null)
    }

    static func ollama() throws -> [String: String] { ["RUNNER_OLLAMA_URL": try LLMPeer.shared().ollama] }
    static func openai() throws -> [String: String] {
        ["RUNNER_LLM_BACKEND": "openai", "RUNNER_LLM_URL": try LLMPeer.shared().openai]
    }

    static let short: [String: JSON] = [
        "model": "smollm2:135m", "prompt": "Name a colour.",
        "options": ["num_predict": 6, "temperature": 0, "seed": 1],
    ]

    @Test(arguments: ["ollama", "openai"])
    func generationCarriesTheModelsOwnTokenCounts(backend: String) throws {
        let (run, result) = try Self.run(Self.short, backend == "ollama" ? try Self.ollama() : try Self.openai())
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["exit_code"]?.intValue == 0, "\(result)")
        #expect(result["output"]?.stringValue?.isEmpty == false)
        #expect(result["response_tokens"]?.intValue == 6, "num_predict 6 → 6 tokens: \(result)")
        #expect((result["prompt_tokens"]?.intValue ?? 0) > 5, "the chat template's real prompt count: \(result)")
        #expect((result["inference_time_ms"]?.intValue ?? 0) >= 1)
        #expect(result["error"] == nil)
    }

    @Test func chatMessagesUseTheChatEndpoint() throws {
        var config = Self.short
        config["prompt"] = ""
        config["messages"] = [["role": "user", "content": "Say yes."]]
        let (_, result) = try Self.run(config, try Self.ollama())
        #expect(result["exit_code"]?.intValue == 0, "\(result)")
        #expect(result["response_tokens"]?.intValue == 6)
    }

    @Test func busyBackendIsBackedOff() throws {
        var config = Self.short
        config["model"] = "busy-once"
        let (run, result) = try Self.run(config, try Self.ollama())
        #expect(result["exit_code"]?.intValue == 0, "\(result)")
        #expect(run.stderr.contains("HTTP 503"))
    }

    @Test func midStreamErrorFailsTheTask() throws {
        var config = Self.short
        config["model"] = "midstream-error"
        let (run, result) = try Self.run(config, try Self.ollama())
        #expect(run.status == 0)
        #expect(result["exit_code"]?.intValue == 1)
        #expect(result["error"]?.stringValue?.contains("unexpected EOF") == true, "\(result)")
    }

    @Test func stalledFirstTokenTimesOut() throws {
        var config = Self.short
        config["model"] = "stall"
        let started = Date()
        var env = try Self.ollama()
        env["RUNNER_LLM_FIRST_TOKEN_TIMEOUT"] = "2s"
        let (_, result) = try Self.run(config, env)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result["exit_code"]?.intValue == 1)
        #expect(result["error"]?.stringValue?.contains("no first token within 2s") == true, "\(result)")
    }

    @Test func absentPromptCountIsNeverZero() throws {
        var config = Self.short
        config["model"] = "nocount"
        let (run, result) = try Self.run(config, try Self.ollama())
        #expect(result["exit_code"]?.intValue == 0, "\(result)")
        #expect((result["prompt_tokens"]?.intValue ?? 0) >= 1)
        #expect(run.stderr.contains("sent no prompt token count"))
    }

    @Test func emptyResponseIsAFailure() throws {
        var config = Self.short
        config["model"] = "empty"
        let (_, result) = try Self.run(config, try Self.ollama())
        #expect(result["exit_code"]?.intValue == 1)
        #expect(result["error"]?.stringValue?.contains("empty response") == true)
        #expect(result["response_tokens"] == nil)
    }

    @Test func unknownModelIsAFailedResult() throws {
        var config = Self.short
        config["model"] = "llama2:70b"
        let (run, result) = try Self.run(config, try Self.ollama())
        #expect(run.status == 0)
        #expect(result["error"]?.stringValue?.contains("not found") == true, "\(result)")
    }

    @Test func noBackendIsExit69() throws {
        let (run, _) = try Self.run(Self.short, ["RUNNER_OLLAMA_URL": "http://127.0.0.1:9"])
        #expect(run.status == 69, "\(run.stderr)")
        #expect(run.lastErrorLine.contains("no LLM backend at"))
    }

    @Test(arguments: ["ollama", "openai"])
    func modelsListsExactTags(backend: String) throws {
        let env = (backend == "ollama" ? try Self.ollama() : try Self.openai()).merging([
            "PARITY_CONFIG_PATH": "/dev/null"
        ]) { $1 }
        let run = try runTool("prty-exec", ["models"], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        let document = try JSONParser.parse(run.stdoutText)
        let rows = document["model_capabilities"]?.arrayValue ?? []
        #expect(rows.count == 1)
        #expect(rows.first?["model_name"]?.stringValue == "smollm2:135m")
        #expect(rows.first?["is_loaded"]?.boolValue == true)
        #expect((rows.first?["max_tokens"]?.intValue ?? 0) >= 2048)
        #expect((document["cpu_count"]?.intValue ?? 0) >= 1)
        #expect((document["memory_bytes"]?.intValue ?? 0) > 0)
        #expect(document["gpus"]?.arrayValue != nil)
    }

    @Test func pullFollowsProgressAndFailsOnUnknownModels() throws {
        let env = try Self.ollama().merging(["PARITY_CONFIG_PATH": "/dev/null"]) { $1 }
        let run = try runTool("prty-exec", ["pull", "smollm2:135m"], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("smollm2:135m: success"))
        let bad = try runTool("prty-exec", ["pull", "nope:1b"], environment: env)
        #expect(bad.status != 0)
        #expect(bad.lastErrorLine.contains("nope:1b"))
    }
}
