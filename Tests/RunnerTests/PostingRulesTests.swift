import Foundation
import Shared
import Testing

@testable import prty_runner

/// What the node posts for each task type, and the settings it reads.
struct PostingRulesTests {
    let uuid = "123e4567-e89b-12d3-a456-426614174000"

    @Test func commandResultIsNormalisedForTheServersBinding() {
        let task: JSON = ["id": .string(uuid), "type": "command"]
        let output = Pipeline.Output(
            result: ["id": "not-a-uuid", "output": "hi", "exit_code": 0, "execution_time": 0, "estimated_cycles": -5],
            stages: [])
        let entries = PostingRules.entries(task: task, output: output, deviceID: "dev")
        #expect(entries.map(\.kind) == [.result])
        #expect(entries[0].path == "/runners/tasks/\(uuid)/result")
        let body = entries[0].body
        #expect(body["id"] == nil)
        #expect(body["estimated_cycles"] == nil)
        #expect(body["task_id"]?.stringValue == uuid)
        #expect(body["device_id"]?.stringValue == "dev")
        #expect(body["execution_time"]?.intValue == 1)
        #expect(body["created_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func aFailureIsNeverExitCodeZero() {
        let body = PostingRules.normalise(["error": "executor failed", "exit_code": 0], taskID: "t", deviceID: "d")
        #expect(body["exit_code"]?.intValue == 1)
        let clean = PostingRules.normalise(["error": "", "exit_code": 0, "output": "x"], taskID: "t", deviceID: "d")
        #expect(clean["error"] == nil && clean["exit_code"]?.intValue == 0)
    }

    @Test func llmSuccessCompletesWithCountsOfAtLeastOneThenCompletesTheTask() {
        let task: JSON = ["id": "p1", "type": "llm"]
        let output = Pipeline.Output(
            result: [
                "output": "an answer", "exit_code": 0, "prompt_tokens": 0, "response_tokens": 12,
                "inference_time_ms": 0,
            ],
            stages: [])
        let entries = PostingRules.entries(task: task, output: output, deviceID: "d")
        #expect(entries.map(\.kind) == [.llmComplete, .taskComplete])
        #expect(entries[0].path == "/llm/prompts/p1/complete")
        #expect(entries[0].body["prompt_tokens"]?.intValue == 1)
        #expect(entries[0].body["response_tokens"]?.intValue == 12)
        #expect(entries[0].body["inference_time_ms"]?.intValue == 1)
        #expect(entries[1].path == "/runners/tasks/p1/complete" && entries[1].bestEffort)
    }

    @Test(arguments: [
        ["output": "", "exit_code": 0] as JSON, ["output": "x", "exit_code": 69, "error": "no LLM backend"] as JSON,
    ])
    func llmFailurePostsAResultAndTriesFail(result: JSON) {
        let entries = PostingRules.entries(
            task: ["id": "p1", "type": "llm"], output: Pipeline.Output(result: result, stages: []), deviceID: "d")
        #expect(entries.map(\.kind) == [.result, .llmFail])
        #expect((entries[0].body["exit_code"]?.intValue ?? 0) != 0)
        let error = entries[0].body["error"]?.stringValue ?? ""
        #expect(!error.isEmpty)
        #expect(entries[1].path == "/llm/prompts/p1/fail" && entries[1].bestEffort)
    }

    @Test func federatedResultThenModelUpdateWithRunnerID() {
        let update: JSON = [
            "session_id": "s", "round_id": "r", "runner_id": "", "gradients": [:], "training_time_ms": 9,
            "training_time": 9,
        ]
        let entries = PostingRules.entries(
            task: ["id": "f1", "type": "federated_learning"],
            output: Pipeline.Output(result: ["output": "{}", "exit_code": 0], modelUpdate: update, stages: []),
            deviceID: "dev")
        #expect(entries.map(\.kind) == [.result, .modelUpdate])
        #expect(entries[1].path == "/federated-learning/model-updates")
        #expect(entries[1].body["runner_id"]?.stringValue == "dev")
        let failed = PostingRules.entries(
            task: ["id": "f1", "type": "federated_learning"],
            output: Pipeline.Output(
                result: ["error": "train failed", "exit_code": 1], modelUpdate: update, stages: []),
            deviceID: "dev")
        #expect(failed.map(\.kind) == [.result])
    }

    @Test func nullGlobalModelIsDroppedForTheTools() {
        let task: JSON = ["id": "f", "config": ["global_model": nil, "seed": 1]]
        #expect(Pipeline.withoutNullGlobalModel(task)["config"]?["global_model"] == nil)
        #expect(Pipeline.withoutNullGlobalModel(task)["config"]?["seed"]?.intValue == 1)
    }

    @Test func childErrorIsTheLastErrorEvent() {
        let stderr =
            #"{"event":"progress","message":"50%"}"# + "\n"
            + #"{"event":"error","message":"no valid block from any gateway","exit_code":65}"# + "\n"
        #expect(Pipeline.lastError(Array(stderr.utf8)) == "no valid block from any gateway")
        #expect(Pipeline.lastError(Array("plain failure\n".utf8)) == "plain failure")
    }

    @Test(arguments: [
        ("http://server:8080", "http://server:8080/api/v1"), ("http://server:8080/", "http://server:8080/api/v1"),
        ("http://server:8080/api", "http://server:8080/api/v1"),
        ("http://server:8080/api/", "http://server:8080/api/v1"),
        ("https://parity.example/api/v1", "https://parity.example/api/v1"),
    ])
    func serverURLIsNormalised(given: String, base: String) {
        #expect(NodeConfig.apiBase(origin: given) == base)
    }

    @Test func childrenGetNoSecrets() {
        let settings = Settings(environment: [
            "PATH": "/bin", "RUNNER_WEBHOOK_SECRET": "s3cret", "IPFS_GATEWAYS": "https://ipfs.io",
            "AWS_SECRET_ACCESS_KEY": "x", "RUNNER_SERVER_URL": "http://s", "RUNNER_COMMAND_SANDBOX": "host",
            "RUNNER_TUNNEL_SECRET": "t", "RUNNER_LLM_API_KEY": "k", "BLOCKCHAIN_PRIVATE_KEY": "p",
        ])
        let environment = NodeConfig.childEnvironment(settings)
        #expect(environment["RUNNER_WEBHOOK_SECRET"] == nil)
        #expect(environment["AWS_SECRET_ACCESS_KEY"] == nil)
        #expect(environment["IPFS_GATEWAYS"] == "https://ipfs.io")
        #expect(environment["PRTY_LOG_FORMAT"] == "json")
        #expect(environment["PATH"] == "/bin")
        #expect(environment["RUNNER_COMMAND_SANDBOX"] == "host")  // another tool's key, declared or not yet
        #expect(environment["RUNNER_TUNNEL_SECRET"] == nil)
        #expect(environment["RUNNER_LLM_API_KEY"] == nil)
        #expect(environment["BLOCKCHAIN_PRIVATE_KEY"] == nil)
        #expect(NodeConfig.execSecrets(settings) == ["RUNNER_LLM_API_KEY": "k"])
    }

    @Test func taskIDsAreCheckedBeforeTheyReachPathsOrFiles() {
        #expect(isValidTaskID(uuid))
        #expect(!isValidTaskID(""))
        #expect(!isValidTaskID("../x"))
        #expect(!isValidTaskID("a/b"))
        #expect(!isValidTaskID(".."))
        #expect(!isValidTaskID(String(repeating: "a", count: 129)))
    }
}
