import Foundation
import Shared
import TestSupport
import Testing

/// The built prty-runner against the parity-server double (`peers/coordinator.py`): command tasks through the
/// real prty-exec (host sandbox), duplicates and array payloads, malformed, oversized and slow webhook requests,
/// an outage while a result is due, a server that forgot the node, SIGKILL and restart, and a three-node
/// federated-learning session over two rounds. The double counts every post: nothing lost, nothing twice.
@Suite(.serialized)
struct RunnerEndToEndTests {
    @Test func commandTaskRunsAndShutdownUnregisters() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("echo hello-from-prty")
            let state = try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
            #expect(state["tasks"]?[id]?.stringValue == "completed")
            let result = try await server.get("/api/v1/tasks/\(id)/result")
            #expect(result["exit_code"]?.intValue == 0, "\(result.serialized())\n\(node.log)")
            #expect(result["output"]?.stringValue?.contains("hello-from-prty") == true, "\(result.serialized())")
            #expect(result["task_id"]?.stringValue == id)
            #expect((result["execution_time"]?.intValue ?? 0) >= 1)
            let runner = state["runners"]?[node.deviceID]
            #expect(runner?["wallet_address"]?.stringValue == RunnerNode.walletAddress)
            #expect(runner?["webhook"]?.stringValue?.hasSuffix("/webhook") == true)
            _ = try await server.waitFor("a heartbeat") { ($0["counts"]?["heartbeats"]?.intValue ?? 0) >= 1 }

            #expect(node.stop(signal: SIGTERM) == 0, "\(node.log)")
            let after = try await server.state()
            #expect(after["counts"]?["unregisters"]?.intValue == 1)
            #expect(after["runners"]?[node.deviceID]?["status"]?.stringValue == "offline")
            #expect(after["results"]?[id]?.intValue == 1)
        }
    }

    @Test func failingCommandIsPostedWithNonZeroExitCode() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("false")
            try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
            let result = try await server.get("/api/v1/tasks/\(id)/result")
            #expect(result["exit_code"]?.intValue != 0, "\(result.serialized())")
        }
    }

    @Test func arrayPayloadAndDuplicatesRunOnce() async throws {
        try await withNode { server, node, port in
            let id = try await server.submitCommand("echo array", array: true)
            try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
            // The server offers the same task again (a retry, the LLM forward): 200 skipped, never run twice.
            let again = try await webhook(port: port, ["type": "available_tasks", "payload": ["id": .string(id)]])
            #expect(again.status == 200)
            #expect(again.text.contains("skipped"))
            let array = try await webhook(port: port, ["type": "available_tasks", "payload": [["id": .string(id)]]])
            #expect(array.status == 200 && array.text.contains("skipped"))
            try await Task.sleep(for: .milliseconds(500))
            let state = try await server.state()
            #expect(state["results"]?[id]?.intValue == 1)
            #expect(state["counts"]?["starts"]?.intValue == 1)
        }
    }

    @Test func busyWhileRunningAnotherTask() async throws {
        try await withNode { server, node, port in
            let id = try await server.submitCommand("sleep 2")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            let other = try await webhook(port: port, ["type": "available_tasks", "payload": ["id": "another-task"]])
            #expect(other.status == 409)
            #expect(other.text.contains("busy"))
            let same = try await webhook(port: port, ["type": "available_tasks", "payload": ["id": .string(id)]])
            #expect(same.status == 200 && same.text.contains("skipped"))
            try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
        }
    }

    @Test func malformedOversizedAndForeignRequestsAreRefused() async throws {
        try await withNode { server, node, port in
            let url = "http://127.0.0.1:\(port)/webhook"
            let client = HTTPClient.libcurl
            #expect(try await client.send(HTTPRequest(.get, url)).status == 405)
            #expect(
                try await client.send(HTTPRequest(.post, "http://127.0.0.1:\(port)/other", body: Data("{}".utf8)))
                    .status
                    == 404)
            #expect(try await client.send(.json(.post, url, Data("{not json".utf8))).status == 400)
            #expect(try await webhook(port: port, ["type": "available_tasks", "payload": 42]).status == 400)
            #expect(
                try await webhook(port: port, ["type": "available_tasks", "payload": ["id": "../etc"]]).status == 400)
            #expect(try await webhook(port: port, ["type": "something_else", "payload": [:]]).status == 200)
            let envelope: JSON = ["type": "available_tasks", "payload": ["id": "x"]]
            var foreign = HTTPRequest.json(.post, url, Data(envelope.serialized().utf8))
            foreign.headers["X-Device-ID"] = "not-this-node"
            #expect(try await client.send(foreign).status == 403)
            let big = Data(repeating: UInt8(ascii: " "), count: 2 << 20)
            #expect(try await client.send(.json(.post, url, big)).status == 413)
            // A client that sends half a head and stops is cut off (408) instead of holding a connection.
            let slow = Date()
            let answer = try rawExchange(port: port, "POST /webhook HTTP/1.1\r\nHost: x\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(Date().timeIntervalSince(slow) < 20)
            // The node still serves and still runs tasks.
            let id = try await server.submitCommand("echo still-alive")
            try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
        }
    }

    @Test func resultDueDuringOutageIsDeliveredOnce() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("sleep 1")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            try await server.post("/_test/outage", ["seconds": 4])
            try await server.waitFor("one result after the outage", timeout: 90) { $0["results"]?[id]?.intValue == 1 }
            try await Task.sleep(for: .seconds(2))
            #expect(try await server.state()["results"]?[id]?.intValue == 1)
            #expect(node.status()?["outbox_depth"]?.intValue == 0)
        }
    }

    @Test func serverThatForgotTheNodeGetsItBack() async throws {
        try await withNode { server, node, _ in
            try await server.post("/_test/forget_runners")
            try await server.waitFor("a second registration") { ($0["counts"]?["registrations"]?.intValue ?? 0) >= 2 }
            let id = try await server.submitCommand("echo back")
            try await server.waitFor("one result") { $0["results"]?[id]?.intValue == 1 }
            #expect(node.status()?["reregistrations"]?.intValue ?? 0 >= 1)
        }
    }

    @Test func permanentRefusalGoesToDeadLetters() async throws {
        try await withNode { server, node, _ in
            try await server.post("/_test/reject_results", ["status": 403, "count": 1])
            let id = try await server.submitCommand("echo refused")
            let deadDir = node.stateDir.appendingPathComponent("dead")
            let deadline = Date().addingTimeInterval(30)
            var dead: [String] = []
            while dead.isEmpty && Date() < deadline {
                dead = (try? FileManager.default.contentsOfDirectory(atPath: deadDir.path)) ?? []
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(dead.contains { $0.contains(id) && $0.contains("result") }, "\(dead)")
            #expect(try await server.state()["results"]?[id] == nil)
        }
    }

    @Test func sigkillWithResultPendingDeliversItOnceAfterRestart() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("sleep 1")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            try await server.post("/_test/outage", ["seconds": 30])
            // Wait until the result sits in the outbox, then kill the node without warning.
            let outbox = node.stateDir.appendingPathComponent("outbox")
            let deadline = Date().addingTimeInterval(30)
            // (a name without a leading dot: the renamed entry, not the temporary file it is written as)
            let entries = { ((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []) }
            while !entries().contains(where: { !$0.hasPrefix(".") }) && Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(node.stop(signal: SIGKILL) == 128 + SIGKILL)
            try await server.post("/_test/outage", ["seconds": 0])
            try node.start()
            try await server.waitFor("one result after the restart") { $0["results"]?[id]?.intValue == 1 }
            // The server re-offers the task (its stall sweep): the node knows it is done.
            let port = try await node.waitUntilRegistered()
            let again = try await webhook(port: port, ["type": "available_tasks", "payload": ["id": .string(id)]])
            #expect(again.text.contains("skipped"))
            try await Task.sleep(for: .seconds(1))
            #expect(try await server.state()["results"]?[id]?.intValue == 1)
        }
    }

    @Test func sigkillMidTaskPostsNothingForItAndTakesNewTasks() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("sleep 5")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            try await Task.sleep(for: .milliseconds(300))
            node.stop(signal: SIGKILL)
            try node.start()
            _ = try await node.waitUntilRegistered()
            let next = try await server.submitCommand("echo next")
            try await server.waitFor("the next task's result") { $0["results"]?[next]?.intValue == 1 }
            #expect(try await server.state()["results"]?[id] == nil)
        }
    }

    @Test func shutdownLetsTheCurrentTaskFinishWithinTheGrace() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("sleep 2")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            #expect(node.stop(signal: SIGTERM) == 0, "\(node.log)")
            let state = try await server.state()
            #expect(state["results"]?[id]?.intValue == 1)
            #expect(state["counts"]?["unregisters"]?.intValue == 1)
        }
    }

    @Test func shutdownCancelsATaskPastTheGraceAndASecondSignalExits130() async throws {
        try await withNode(extraEnvironment: ["RUNNER_SHUTDOWN_GRACE": "1s"]) { server, node, _ in
            let id = try await server.submitCommand("sleep 20")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            let started = Date()
            #expect(node.stop(signal: SIGTERM) == 0, "\(node.log)")
            #expect(Date().timeIntervalSince(started) < 15)
            let state = try await server.state()
            // cancelled: nothing half-done is posted (the server offers the task again)
            #expect(state["results"]?[id] == nil, "\(node.log)")
            #expect(state["counts"]?["unregisters"]?.intValue == 1)

            let second = try RunnerNode(server: server.origin, extraEnvironment: ["RUNNER_SHUTDOWN_GRACE": "60s"])
            defer { second.remove() }
            _ = try await second.waitUntilRegistered()
            let long = try await server.submitCommand("sleep 20")
            try await server.waitFor("the task running") { $0["tasks"]?[long]?.stringValue == "running" }
            kill(second.pid, SIGTERM)
            try await Task.sleep(for: .milliseconds(300))
            #expect(second.stop(signal: SIGTERM, timeout: 10) == 130, "\(second.log)")
        }
    }

    @Test func statusReportsTheRunningNode() async throws {
        try await withNode { server, node, _ in
            let id = try await server.submitCommand("sleep 2")
            try await server.waitFor("the task running") { $0["tasks"]?[id]?.stringValue == "running" }
            try await Task.sleep(for: .milliseconds(300))
            let running = try runTool("prty-runner", ["status"], environment: node.environment)
            #expect(running.status == 0, "\(running.stderr)")
            let document = try JSONParser.parse([UInt8](running.stdout))
            #expect(document["registered"]?.boolValue == true)
            #expect(document["current_task"]?["id"]?.stringValue == id, "\(running.stdoutText)")
            #expect(document["current_task"]?["stage"]?.stringValue == "exec")
            #expect(document["outbox_depth"]?.intValue == 0)
            node.stop()
            let stopped = try runTool("prty-runner", ["status"], environment: node.environment)
            #expect(stopped.status == 69)
            #expect(stopped.lastErrorLine.contains("not running"))
        }
    }

    @Test func goRunnerEnvStartsWithOneWarning() async throws {
        let server = try CoordinatorDouble()
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-goenv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        RUNNER_SERVER_URL=\(server.origin)/api/
        SERVER_URL=http://old
        RUNNER_API_PREFIX=/api/v1
        FL_DIFFERENTIAL_PRIVACY=false
        """.write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let node = try RunnerNode(
            server: server.origin, directory: directory, extraEnvironment: ["RUNNER_SERVER_URL": ""])
        defer { node.remove() }
        _ = try await node.waitUntilRegistered()
        let warnings = node.log.split(separator: "\n").filter { $0.contains("config_unknown_keys") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("RUNNER_API_PREFIX") == true)
        node.stop()
    }

    @Test func llmPromptIsCompletedOnceDespiteTheDuplicateDelivery() async throws {
        let llm = try LLMPeer.shared()
        try await withNode(extraEnvironment: ["RUNNER_OLLAMA_URL": llm.ollama]) { server, node, _ in
            let capabilities =
                try await server.state()["runners"]?[node.deviceID]?["model_capabilities"]?.arrayValue ?? []
            #expect(capabilities.contains { $0["model_name"]?.stringValue == llm.model }, "\(capabilities)")
            for model in [llm.model, "nocount"] { try await promptIsCompletedOnce(server, model: model) }
            let state = try await server.state()
            #expect(state["counts"]?["starts"]?.intValue == 2)  // each prompt delivered twice, started once
            #expect(state["counts"]?["webhooks"]?.intValue == 2)
            #expect(state["counts"]?["llm_forwards_ok"]?.intValue == 2, "the duplicate is answered 200 (skipped)")
        }
    }

    @Test func llmFailurePostsAResultAndTriesFail() async throws {
        let llm = try LLMPeer.shared()
        try await withNode(extraEnvironment: ["RUNNER_OLLAMA_URL": llm.ollama]) { server, node, _ in
            let prompt = try await server.post("/api/v1/llm/prompts", ["prompt": "anything", "model_name": "empty"])
            let id = try #require(prompt["id"]?.stringValue)
            let state = try await server.waitFor("a failure result", timeout: 120) { $0["results"]?[id]?.intValue == 1 }
            let result = try await server.get("/api/v1/tasks/\(id)/result")
            #expect((result["exit_code"]?.intValue ?? 0) != 0)
            let error = result["error"]?.stringValue ?? ""
            #expect(!error.isEmpty)
            try await server.waitFor("the /fail attempt") { ($0["counts"]?["llm_fails"]?.intValue ?? 0) == 1 }
            #expect(state["llm"]?[id]?["completions"]?.intValue == 0)
        }
    }

    @Test func missingWalletKeyExits78() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "prty-nowallet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try runTool(
            "prty-runner", [],
            environment: [
                "PRTY_BIN_DIR": Paths.binaries.path, "HOME": directory.path, "RUNNER_DEVICE_ID": "test-node",
                "RUNNER_STATE_DIR": directory.appendingPathComponent("state").path,
            ], timeout: 60)
        #expect(result.status == 78)
        #expect(result.lastErrorLine.contains("prty-wallet auth"), "\(result.stderr)")
    }

    @Test func badSettingExits78() throws {
        let result = try runTool("prty-runner", [], environment: ["RUNNER_HEARTBEAT_INTERVAL": "often"])
        #expect(result.status == 78)
        #expect(result.lastErrorLine.contains("RUNNER_HEARTBEAT_INTERVAL"))
    }

    @Test func localRunPrintsTheResult() throws {
        let task = #"{"id":"local-1","type":"command","config":{"command":"echo local-run"}}"#
        let result = try runTool(
            "prty-runner", ["run", "-"], stdin: Data(task.utf8),
            environment: ["RUNNER_COMMAND_SANDBOX": "host", "PRTY_BIN_DIR": Paths.binaries.path])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONParser.parse([UInt8](result.stdout))
        #expect(document["output"]?.stringValue?.contains("local-run") == true, "\(result.stdoutText)")
        #expect(document["task_id"]?.stringValue == "local-1")
        #expect(try runTool("prty-runner", ["run", "/nonexistent.json"]).status == 66)
        #expect(try runTool("prty-runner", ["run", "-"], stdin: Data("[]".utf8)).status == 64)
    }

    @Test func federatedSessionOverTwoRoundsOnThreeNodes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-fl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        let added = try runTool("prty-fetch", ["add", Paths.fixture("iris.csv").path, "--store", store.path])
        #expect(added.status == 0, "\(added.stderr)")
        let cid = added.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try CoordinatorDouble()
        defer { server.stop() }
        var nodes: [RunnerNode] = []
        defer { for node in nodes { node.stop() } }
        for index in 0..<3 {
            let node = try RunnerNode(
                server: server.origin, deviceID: "fl-node-\(index)",
                extraEnvironment: ["IPFS_GATEWAYS": "file://\(store.path)"])
            nodes.append(node)
        }
        for node in nodes { _ = try await node.waitUntilRegistered() }
        let session = try await server.post(
            "/api/v1/federated-learning/sessions",
            [
                "total_rounds": 2, "min_participants": 3,
                "config": [
                    "model_type": "neural_network", "dataset_cid": .string(cid), "data_format": "csv",
                    "partition_config": ["strategy": "stratified", "holdout": 0.2],
                    "model_config": ["hidden_size": 8],
                    "train_config": ["epochs": 20, "batch_size": 8, "learning_rate": 0.05],
                    "output_format": "json", "seed": 7,
                ],
            ])
        let sessionID = try #require(session["id"]?.stringValue)
        try await server.post("/api/v1/federated-learning/sessions/\(sessionID)/start")
        let state = try await server.waitFor("two rounds of three updates", timeout: 240) {
            ($0["updates"]?.arrayValue?.count ?? 0) >= 6
        }
        let final = try await server.get("/api/v1/federated-learning/sessions/\(sessionID)")
        #expect(final["status"]?.stringValue == "completed", "\(nodes.map(\.log).joined(separator: "\n"))")
        #expect(final["aggregates"]?.arrayValue?.count == 2)
        let updates = state["updates"]?.arrayValue ?? []
        #expect(updates.count == 6)
        #expect(Set(updates.compactMap { $0["runner_id"]?.stringValue }) == ["fl-node-0", "fl-node-1", "fl-node-2"])
        #expect(updates.allSatisfy { ($0["training_time_ms"]?.intValue ?? 0) >= 1 && $0["training_time"] != nil })
        #expect(Set(updates.compactMap { $0["round_id"]?.stringValue }).count == 2)
        // Every FL task got exactly one result.
        let results = state["results"]?.objectValue ?? [:]
        #expect(results.count == 6 && results.values.allSatisfy { $0.intValue == 1 })
    }

    // MARK: Helpers

    /// The fixture most tests share: a coordinator double and one node registered with it (its webhook port
    /// passed along), both stopped afterwards — the node with SIGTERM, so it unregisters — and the node's
    /// directory removed.
    private func withNode(
        extraEnvironment: [String: String] = [:],
        _ body: (CoordinatorDouble, RunnerNode, Int) async throws -> Void
    ) async throws {
        let server = try CoordinatorDouble()
        defer { server.stop() }
        let node = try RunnerNode(server: server.origin, extraEnvironment: extraEnvironment)
        defer {
            node.stop()
            node.remove()
        }
        try await body(server, node, try await node.waitUntilRegistered())
    }

    private func webhook(port: Int, _ body: JSON) async throws -> HTTPResponse {
        try await HTTPClient.libcurl.send(
            .json(.post, "http://127.0.0.1:\(port)/webhook", Data(body.serialized().utf8)))
    }

    /// Posts a prompt for `model` and waits until it is completed once, with token counts and a response.
    private func promptIsCompletedOnce(_ server: CoordinatorDouble, model: String) async throws {
        let prompt = try await server.post(
            "/api/v1/llm/prompts", ["prompt": "Say hello in one word.", "model_name": .string(model)])
        let id = try #require(prompt["id"]?.stringValue)
        let state = try await server.waitFor("the completion", timeout: 180) {
            $0["llm"]?[id]?["status"]?.stringValue == "completed"
        }
        let body = state["llm"]?[id]?["bodies"]?.arrayValue?.first
        #expect(state["llm"]?[id]?["completions"]?.intValue == 1)
        #expect((body?["prompt_tokens"]?.intValue ?? 0) >= 1)  // nocount: the server refuses a zero
        #expect((body?["response_tokens"]?.intValue ?? 0) >= 1)
        let response = body?["response"]?.stringValue ?? ""
        #expect(!response.isEmpty)
        try await server.waitFor("the task completed too") { $0["tasks"]?[id]?.stringValue == "completed" }
    }

    /// Sends raw bytes and reads until the server closes (bounded by a 30 s receive timeout).
    private func rawExchange(port: Int, _ text: String) throws -> String {
        guard let answer = Loopback.exchange(port: port, Array(text.utf8), timeout: 30) else {
            throw PeerError("cannot connect to 127.0.0.1:\(port)")
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
