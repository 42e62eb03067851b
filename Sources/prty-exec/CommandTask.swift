import Foundation
import Shared
import Synchronization

/// A command task. By default it runs in a container (RUNNER_COMMAND_SANDBOX=docker, RUNNER_COMMAND_IMAGE) under
/// the docker limits; on the host only when the operator opts in (RUNNER_COMMAND_SANDBOX=host): a fresh working
/// directory, a scrubbed environment, lowered rlimits, its own process group, capped output.
struct CommandTask {
    let spec: ExecTask.CommandSpec
    let limits: Limits
    let log: Log

    /// The variables a host command gets from prty-exec's own environment; everything else (the runner's
    /// settings, keys, tokens) stays behind.
    static let inheritedVariables = ["LANG", "LC_ALL", "LC_CTYPE", "TZ"]
    static let hostPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The task's timeout: `timeout_seconds` (default 300), never beyond RUNNER_EXECUTION_TIMEOUT.
    var effectiveLimits: Limits {
        var limits = limits
        limits.timeout = min(spec.timeoutSeconds ?? 300, limits.timeout)
        return limits
    }

    /// In the sandbox: the same container as a docker task, RUNNER_COMMAND_IMAGE, no NONCE prefix.
    func inContainer(engine: EngineAPI, image: String, task: ExecTask) async -> TaskResult {
        let env = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var workdir = spec.workingDir ?? "/tmp"
        if !workdir.hasPrefix("/") { workdir = "/tmp/" + workdir }
        let run = DockerTask.Run(
            image: image, imageURL: nil, command: spec.argv, env: env, workdir: workdir, noncePrefix: false)
        return await DockerTask(engine: engine, log: log, limits: effectiveLimits).execute(run, task: task)
    }

    /// On the host (opt-in).
    func onHost(task: ExecTask, environment: [String: String]) async throws -> TaskResult {
        let limits = effectiveLimits
        var result = TaskResult(taskID: task.id)
        result.hashed = true
        result.commandHash = TaskResult.commandHash(spec.argv)

        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/prty-command-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ExecError.protocolError(
                "cannot create a working directory under \(base): \(String(cString: strerror(errno)))")
        }
        let home = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: home) }
        var workdir = home
        if let asked = spec.workingDir {
            workdir = asked.hasPrefix("/") ? asked : home + "/" + asked
            if !asked.hasPrefix("/") {
                try? FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
            }
        }

        var env = ["PATH": Self.hostPath, "HOME": home, "TMPDIR": home, "TASK_NONCE": task.nonce]
        for name in Self.inheritedVariables { if let value = environment[name] { env[name] = value } }
        for (key, value) in spec.environment { env[key] = value }

        // rlimits through prlimit(1), and a drop to nobody when we are root (RLIMIT_NPROC does not bind root).
        let cpuSeconds = max(1, Int((limits.timeout * limits.cpus).rounded(.up)))
        var argv = [
            // CPU: SIGXCPU at the soft limit, SIGKILL a second later.
            "--cpu=\(cpuSeconds):\(cpuSeconds + 1)", "--as=\(limits.memoryBytes)", "--nofile=1024",
            "--nproc=\(limits.pids)",
            "--core=0", "--",
        ]
        if getuid() == 0 {
            chown(home, 65534, 65534)
            if workdir != home { chown(workdir, 65534, 65534) }
            argv += ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"]
        }
        argv += spec.argv

        let output = Mutex(CappedOutput(limit: limits.maxOutputBytes))
        var process = Subprocess(
            "prlimit", argv, environment: env, stdout: .capture(limit: 0), stderr: .capture(limit: 0),
            currentDirectory: workdir, timeout: limits.timeout, killGrace: 2)
        process.executable =
            FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") ? "/usr/bin/prlimit" : "prlimit"
        process.onOutput = { _, chunk in output.withLock { $0.append(chunk) } }
        let outcome: Subprocess.Result
        var interrupted: Int32? = nil
        do {
            let process = process
            let first: Subprocess.Result? = try await withThrowingTaskGroup(of: Subprocess.Result?.self) { group in
                group.addTask { try await process.run() }
                group.addTask {  // SIGINT/SIGTERM: cancelling the run stops the whole process group
                    while Interruption.signal == nil { try await Task.sleep(for: .milliseconds(50)) }
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let first else {
                interrupted = Interruption.signal ?? SIGTERM
                result.exitCode = -1
                result.output = output.withLock { $0.text }
                result.error =
                    "prty-exec was interrupted (\(Subprocess.signalName(interrupted ?? SIGTERM))); "
                    + "the command's process group was stopped"
                return result
            }
            outcome = first
        } catch let error as SubprocessError {
            result.exitCode = -1
            result.error = "cannot start \(spec.argv[0]): \(error)"
            return result
        }
        kill(-outcome.pid, SIGKILL)  // whatever the command left behind in its group goes with it
        let captured = output.withLock { $0 }
        result.output = captured.text
        result.executionTimeMs = TaskResult.milliseconds(outcome.seconds)
        result.cpuSeconds = 0
        if outcome.timedOut {
            result.exitCode = -1
            result.error = "command timed out after \(limits.timeoutText) and was stopped (its whole process group)"
        } else {
            switch outcome.termination {
            case .exited(let code):
                result.exitCode = Int(code)
                if code == 127, captured.total == 0 || result.output.contains("failed to execute") {
                    result.error = "command not found: \(spec.argv[0])"
                } else if code != 0 {
                    result.error = "exit status \(code)"
                }
            case .signaled(let signal):
                result.exitCode = 128 + Int(signal)
                result.error = "killed by signal \(signal == SIGXCPU ? "SIGXCPU" : Subprocess.signalName(signal))"
                if signal == SIGXCPU { result.error += " (the CPU-time limit of \(cpuSeconds) s)" }
            }
        }
        if captured.isTruncated {
            log.warning(
                "output_truncated",
                "output was \(captured.total) bytes; kept the first and last \(limits.maxOutputBytes / 2)")
        }
        return result
    }
}
