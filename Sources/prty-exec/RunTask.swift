import Foundation
import Shared

/// `prty-exec [run] < task.json`: one Task in, one Result out.
struct RunTask {
    static let command = Command(
        "run", summary: "run the Task on stdin (or --task FILE) and print its Result",
        options: [
            Option(
                "task", short: "t", value: .single("FILE"), help: "read the Task from FILE instead of stdin",
                completion: .file)
        ],
        examples: [
            "prty-exec < task.json",
            #"echo '{"id":"t1","type":"command","config":{"command":"echo hi"}}' | RUNNER_COMMAND_SANDBOX=host prty-exec"#,
        ])

    let invocation: Invocation
    let settings: Settings

    init(_ invocation: Invocation) throws {
        self.invocation = invocation
        settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
    }

    func run() async throws {
        let bytes: [UInt8]
        if let path = invocation.arguments.value("task") {
            bytes = try Input.file(path)
        } else {
            bytes = try Input.standardInput(what: "a Task (JSON)")
        }
        let task = try ExecTask.parse(bytes)
        let log = invocation.log
        let result: TaskResult
        switch task.kind {
        case .docker(let docker):
            let limits = try Limits.load(settings).tightened(by: docker.resources)
            guard ExecTask.isValidNonce(task.nonce) else {
                var failed = TaskResult(taskID: task.id)
                failed.exitCode = -1
                failed.error =
                    "the task's nonce \(task.nonce.isEmpty ? "is missing" : "\"\(task.nonce.prefix(70))\" is not valid"): "
                    + "expected even-length hex or <integer>-…"
                Tool.writeStdout(failed.json.serialized() + "\n")
                return
            }
            let engine = try await EngineAPI.connect(environment: settings.environment)
            let run = DockerTask.Run(
                image: docker.image, imageURL: docker.imageURL, command: docker.command, env: docker.env,
                workdir: docker.workdir, noncePrefix: true)
            result = await DockerTask(engine: engine, log: log, limits: limits).execute(run, task: task)
        case .command(let spec):
            let limits = try Limits.load(settings)
            let command = CommandTask(spec: spec, limits: limits, log: log)
            switch settings.string(.runnerCommandSandbox) {
            case "host":
                result = try await command.onHost(task: task, environment: settings.environment)
            case "docker", "":
                let engine: EngineAPI
                do {
                    engine = try await EngineAPI.connect(environment: settings.environment)
                } catch ExecError.engineUnavailable(let endpoint, let detail) {
                    throw ExecError.noSandbox(endpoint: endpoint, detail: detail)
                }
                let image = settings.string(.runnerCommandImage)
                result = await command.inContainer(
                    engine: engine, image: image.isEmpty ? "busybox:latest" : image, task: task)
            case let other:
                throw ConfigError(key: "RUNNER_COMMAND_SANDBOX", value: other, expected: "docker or host")
            }
        case .llm(let spec):
            let backend = try LLMBackend.load(settings)
            let llm = LLMTask(
                spec: spec, backend: backend, firstToken: max(1, try settings.duration(.runnerLlmFirstTokenTimeout)),
                betweenTokens: max(1, try settings.duration(.runnerLlmTokenTimeout)), log: log)
            result = try await llm.execute(task: task)
        }
        Tool.writeStdout(result.json.serialized() + "\n")
    }
}
