import Foundation
import Shared

/// A docker task (or a command task in its sandbox) end to end: the image made available, the container run
/// under the node's limits, and the Result with output, exit code, metrics and the hashes the server checks.
struct DockerTask {
    let engine: EngineAPI
    let log: Log
    let limits: Limits

    struct Run: Sendable {
        var image: String
        var imageURL: String?
        var command: [String]
        var env: [String]
        var workdir: String
        /// Docker tasks: `NONCE: <nonce>\n` heads the output (the server looks for it).
        var noncePrefix: Bool
    }

    func execute(_ run: Run, task: ExecTask) async -> TaskResult {
        var result = TaskResult(taskID: task.id)
        result.hashed = true
        if run.noncePrefix { result.id = TaskResult.randomID() }
        result.commandHash = TaskResult.commandHash(run.command)
        let started = Monotonic.seconds()
        func elapsed() -> Int64 { TaskResult.milliseconds(Monotonic.seconds() - started) }
        let prefix = run.noncePrefix ? "NONCE: \(task.nonce)\n" : ""
        do {
            let images = Images(engine: engine, log: log, timeout: limits.pullTimeout)
            let imageID = try await images.ensure(run.image, url: run.imageURL)
            result.imageHash = imageID.hasPrefix("sha256:") ? String(imageID.dropFirst(7)) : imageID
            try Interruption.check()

            var env = run.env.filter { !$0.hasPrefix("TASK_NONCE=") }
            env.append("TASK_NONCE=\(task.nonce)")
            let spec = Container.Spec(
                image: run.image, command: run.command, env: env, workdir: run.workdir, limits: limits)
            let name =
                "prty-\(task.id.prefix(36).filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UInt32.random(in: 0...UInt32.max))"
            let outcome = try await Container(engine: engine, log: log).run(spec, name: name)

            let logs = outcome.output.text.trimmingCharacters(in: .whitespacesAndNewlines)
            result.output = prefix + logs
            result.exitCode = outcome.exitCode
            result.executionTimeMs = TaskResult.milliseconds(outcome.seconds)
            if let signal = outcome.interrupted {
                result.exitCode = -1
                result.error =
                    "prty-exec was interrupted (\(signal == SIGTERM ? "SIGTERM" : "SIGINT")); the container was stopped"
            } else if outcome.timedOut {
                result.exitCode = -1
                result.error = "task execution exceeded the timeout of \(limits.timeoutText) and was stopped"
            } else if outcome.oomKilled {
                result.error =
                    "the container ran out of memory at its limit of \(Size.format(limits.memoryBytes)) "
                    + "and was killed (exit \(outcome.exitCode))"
            } else if outcome.exitCode != 0 {
                result.error = "the task exited with status \(outcome.exitCode)"
            }
            if outcome.output.isTruncated {
                log.warning(
                    "output_truncated",
                    "output was \(outcome.output.total) bytes; kept the first and last \(limits.maxOutputBytes / 2)")
            }
            let metrics = outcome.metrics
            result.cpuSeconds = Double(metrics.cpuNanoseconds) / 1e9
            result.memoryGBHours = Double(metrics.peakMemoryBytes) / Double(1 << 30) * outcome.seconds / 3600
            result.networkGB = Double(metrics.networkBytes) / Double(1 << 30)
            result.storageGB = Double(metrics.blockBytes) / Double(1 << 30)
            result.estimatedCycles = UInt64(max(0, min(1.8e19, result.cpuSeconds * Self.cpuHertz)))
            return result
        } catch let error as InterruptedError {
            result.exitCode = -1
            result.output = prefix
            result.error = "prty-exec was \(error.description) before the task ran"
        } catch {
            result.exitCode = -1
            result.output = prefix
            result.error = "\(error)"
        }
        result.executionTimeMs = elapsed()
        return result
    }

    /// The CPU's clock rate from /proc/cpuinfo (`cpu MHz`), for `estimated_cycles`; 0 where unknown.
    static let cpuHertz: Double = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            if let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
            {
                return value * 1e6
            }
        }
        return 0
    }()
}
