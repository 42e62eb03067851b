import Foundation
import Shared

/// `prty-runner run TASK.json|-`: one task through exactly the node's pipeline, no server. Prints the Result as
/// the node would post it; for a federated-learning task `{"result": …, "model_update": …}`.
struct LocalRun {
    static let command = Command(
        "run", summary: "run one task locally through the node's pipeline and print its Result (no server)",
        arguments: "TASK.json|-", maxPositionals: 1,
        examples: [
            "prty-runner run task.json",
            "echo '{\"id\":\"t1\",\"type\":\"command\",\"config\":{\"command\":\"echo hi\"}}' | prty-runner run -",
        ],
        discussion: """
            The task is a server Task document (id, type, config). command, docker and llm tasks run through
            prty-exec; federated_learning through prty-fetch, prty-partition and prty-train. Exit 0 when a Result
            was printed, whatever the task's own exit code (it is in the Result).
            """)

    static func run(_ invocation: Invocation) async throws {
        let settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        let config = try NodeConfig.load(settings)
        guard let source = invocation.arguments.positionals.first else {
            throw UsageError("run needs a task file, or - for stdin; e.g. prty-runner run task.json")
        }
        let bytes: [UInt8]
        if source == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw NotFoundError("no task file at \(source)")
            }
            bytes = Array(data)
        }
        let task: JSON
        do {
            task = try JSONParser.parse(bytes)
        } catch {
            throw UsageError("the task is not JSON: \(error)")
        }
        guard task.objectValue != nil, let type = task["type"]?.stringValue,
            ["command", "docker", "llm", "federated_learning"].contains(type)
        else {
            throw UsageError("the task needs a type: command, docker, llm or federated_learning")
        }
        var document = task
        if task["id"]?.stringValue == nil, case .object(var fields) = task {
            fields["id"] = "local"
            document = .object(fields)
        }
        let deviceID = (try? DeviceID.resolve(settings: settings)) ?? "local"
        let work = NSTemporaryDirectory() + "prty-runner-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var pipeline = Pipeline(config: config)
        let log = invocation.log
        pipeline.onStage = { stage in log.info("stage", "stage \(stage)", ["stage": .string(stage)]) }
        let output = try await pipeline.run(document, workDirectory: work)
        let result = PostingRules.normalise(
            output.result, taskID: document["id"]?.stringValue ?? "local", deviceID: deviceID)
        if var update = output.modelUpdate?.objectValue {
            update["runner_id"] = .string(deviceID)
            Tool.writeStdout(JSON.object(["result": result, "model_update": .object(update)]).serialized() + "\n")
        } else {
            Tool.writeStdout(result.serialized() + "\n")
        }
    }
}
