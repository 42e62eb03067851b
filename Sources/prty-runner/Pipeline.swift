import Foundation
import Shared

/// Runs one Task through the tools as child processes (docs/runner.md):
///
/// - `command`, `docker`, `llm`: `prty-exec < task.json` → the Result on stdout;
/// - `federated_learning`: `prty-fetch CID` → `prty-partition --task t.json` → `prty-train --task t.json`, each
///   stage's document in a private work directory, so every stage has its own deadline and timing.
///
/// Children get `--log-format json`, the node's non-secret configuration (`NodeConfig.childEnvironment`), their
/// own process group, and whatever is left of `RUNNER_TASK_TIMEOUT` (then the group is killed). A child's last
/// NDJSON `error` event becomes the Result's `error`. Cancelling the calling task stops the running child.
struct Pipeline: Sendable {
    var config: NodeConfig
    /// Hears each stage as it starts (`exec`, `fetch`, `partition`, `train`).
    var onStage: @Sendable (String) -> Void = { _ in }

    /// What a task produced: the Result as prty-exec or the FL stages made it (not yet normalised for posting),
    /// and for FL the model update.
    struct Output: Sendable {
        var result: JSON
        var modelUpdate: JSON?
        /// Seconds per stage, in order.
        var stages: [(String, Double)]
    }

    func run(_ task: JSON, workDirectory: String) async throws -> Output {
        let deadline = Date().timeIntervalSince1970 + config.taskTimeout
        switch task["type"]?.stringValue ?? "" {
        case "federated_learning":
            return try await federated(task, workDirectory: workDirectory, deadline: deadline)
        default:
            return try await exec(task, deadline: deadline)
        }
    }

    // MARK: command, docker, llm

    private func exec(_ task: JSON, deadline: Double) async throws -> Output {
        onStage("exec")
        let started = Date()
        let child = try await stage(
            "prty-exec", [], input: .bytes(Array(task.serialized().utf8)), stdout: .capture(limit: 64 << 20),
            deadline: deadline)
        let seconds = Date().timeIntervalSince(started)
        if case .failed(let message, let code) = child {
            return Output(result: Self.failure(message, exitCode: code, seconds: seconds), stages: [("exec", seconds)])
        }
        guard case .ok(let stdout) = child, let result = try? JSONParser.parse(stdout), result.objectValue != nil
        else {
            return Output(
                result: Self.failure("prty-exec wrote no Result document", exitCode: -1, seconds: seconds),
                stages: [("exec", seconds)])
        }
        return Output(result: result, stages: [("exec", seconds)])
    }

    // MARK: federated learning

    private func federated(_ task: JSON, workDirectory: String, deadline: Double) async throws -> Output {
        let started = Date()
        var stages: [(String, Double)] = []
        guard let config = task["config"], let cid = config["dataset_cid"]?.stringValue, !cid.isEmpty else {
            return Output(
                result: Self.failure("the task's config has no dataset_cid", exitCode: 64, seconds: 0), stages: [])
        }
        try DurableFile.makeDirectory(workDirectory)
        let task = Self.withoutNullGlobalModel(task)
        let taskFile = workDirectory + "/task.json"
        let datasetFile = workDirectory + "/dataset.json"
        let partFile = workDirectory + "/part.json"
        try DurableFile.write(Array(task.serialized().utf8), to: taskFile)

        let plan: [(name: String, tool: String, arguments: [String], input: Subprocess.Input, output: String?)] = [
            ("fetch", "prty-fetch", [cid], .null, datasetFile),
            ("partition", "prty-partition", ["--task", taskFile], .file(datasetFile), partFile),
            ("train", "prty-train", ["--task", taskFile], .file(partFile), nil),
        ]
        var update: [UInt8] = []
        for step in plan {
            onStage(step.name)
            let stageStarted = Date()
            let child = try await stage(
                step.tool, step.arguments, input: step.input,
                stdout: step.output.map { .file($0) } ?? .capture(limit: 256 << 20), deadline: deadline)
            stages.append((step.name, Date().timeIntervalSince(stageStarted)))
            switch child {
            case .failed(let message, let code):
                let seconds = Date().timeIntervalSince(started)
                return Output(
                    result: Self.failure("\(step.name): \(message)", exitCode: code, seconds: seconds), stages: stages)
            case .ok(let stdout):
                update = stdout
            }
        }
        let seconds = Date().timeIntervalSince(started)
        guard case .object(var document)? = try? JSONParser.parse(update) else {
            return Output(
                result: Self.failure("prty-train wrote no model update", exitCode: -1, seconds: seconds), stages: stages
            )
        }
        let milliseconds = document["training_time_ms"]?.intValue ?? Int(seconds * 1000)
        document["training_time_ms"] = .int(max(1, milliseconds))
        document["training_time"] = .int(max(1, milliseconds))  // the key the Go runner sent (docs/protocol.md)
        let modelUpdate = JSON.object(document)
        let result: JSON = [
            "output": .string(Self.flOutput(modelUpdate, config: config).serialized()),
            "exit_code": 0, "execution_time": .int(max(1, Int(seconds * 1000))),
        ]
        return Output(result: result, modelUpdate: modelUpdate, stages: stages)
    }

    /// Round 1 of a server session carries `"global_model": null`; the tools read an absent key as "start from
    /// the session's initialisation", so the null is dropped before they see the task.
    static func withoutNullGlobalModel(_ task: JSON) -> JSON {
        guard case .object(var fields) = task, case .object(var config)? = fields["config"],
            config["global_model"]?.isNull == true
        else { return task }
        config["global_model"] = nil
        fields["config"] = .object(config)
        return .object(fields)
    }

    /// The Result's `output` for an FL task (the Go runner's shape): the update's numbers plus task metadata.
    static func flOutput(_ update: JSON, config: JSON) -> JSON {
        var output: [String: JSON] = [:]
        for key in [
            "session_id", "round_id", "gradients", "weights", "loss", "accuracy", "data_size", "training_time",
            "training_time_ms", "update_type", "metadata",
        ] {
            if let value = update[key] { output[key] = value }
        }
        for key in ["session_id", "round_id"] where output[key] == nil {
            output[key] = config[key]
        }
        return .object(output)
    }

    // MARK: Children

    enum Child {
        case ok([UInt8])
        case failed(String, exitCode: Int)
    }

    /// Runs one tool with what is left of the deadline. A nonzero exit or a timeout is `.failed` with the tool's
    /// own last error message; a tool that cannot be started throws.
    private func stage(
        _ tool: String, _ arguments: [String], input: Subprocess.Input, stdout: Subprocess.Output, deadline: Double
    ) async throws -> Child {
        let left = deadline - Date().timeIntervalSince1970
        guard left > 0 else { return .failed("the task ran past RUNNER_TASK_TIMEOUT before \(tool)", exitCode: -1) }
        let process = Subprocess(
            config.tool(tool), arguments + ["--log-format", "json"],
            environment: tool == "prty-exec"
                ? config.childEnvironment.merging(config.execSecrets) { $1 }
                : config.childEnvironment,
            input: input, stdout: stdout, stderr: .capture(limit: 1 << 20), timeout: left,
            // prty-exec answers SIGTERM by stopping and removing its container and writing the Result, which
            // takes a few seconds against a busy engine: SIGKILL only after that (docs/exec.md).
            killGrace: tool == "prty-exec" ? 10 : 2)
        let result = try await process.run()
        if result.timedOut {
            return .failed(
                "\(tool) did not finish within RUNNER_TASK_TIMEOUT (\(Int(config.taskTimeout))s) and was stopped",
                exitCode: -1)
        }
        guard result.succeeded else {
            let message = Self.lastError(result.stderr) ?? "\(tool) failed (\(result.termination))"
            return .failed(message, exitCode: Int(result.status))
        }
        return .ok(result.stdout)
    }

    /// The message of a child's last NDJSON `error` event, else its last stderr line.
    static func lastError(_ stderr: [UInt8]) -> String? {
        let lines = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
        for line in lines.reversed() {
            if let event = try? JSONParser.parse(String(line)), event["event"]?.stringValue == "error",
                let message = event["message"]?.stringValue
            {
                return message
            }
        }
        return lines.last.map { String($0.prefix(500)) }
    }

    /// A Result for a task that produced none: exit code ≠ 0 and the reason.
    static func failure(_ message: String, exitCode: Int, seconds: Double) -> JSON {
        [
            "output": "", "error": .string(message), "exit_code": .int(exitCode == 0 ? -1 : exitCode),
            "execution_time": .int(max(1, Int(seconds * 1000))),
        ]
    }
}
