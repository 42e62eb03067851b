import Foundation
import Shared

/// The limits a docker or command task runs under: the node's configuration, tightened (never loosened) by what
/// the task asks for.
struct Limits: Sendable, Equatable {
    var memoryBytes: Int64
    var cpus: Double
    var cpuShares: Int?
    var pids: Int
    /// Seconds the task may run.
    var timeout: Double
    var network: String
    var maxOutputBytes: Int
    /// Seconds pulling or loading an image may take.
    var pullTimeout: Double

    static func load(_ settings: Settings) throws -> Limits {
        let cpuText = settings.string(.runnerDockerCpuLimit)
        guard let cpus = Double(cpuText), cpus.isFinite, cpus >= 0.01, cpus <= 1024 else {
            let (_, source) = settings.lookup(.runnerDockerCpuLimit)
            throw ConfigError(
                "RUNNER_DOCKER_CPU_LIMIT=\(cpuText.debugDescription) is not valid: expected a number of CPUs "
                    + "such as 0.5 or 2 (\(source))")
        }
        let memory = try settings.size(.runnerDockerMemoryLimit)
        guard memory >= 6 << 20 else {
            throw ConfigError("RUNNER_DOCKER_MEMORY_LIMIT must be at least 6m (Docker's minimum), got \(memory) bytes")
        }
        let timeout = try settings.duration(.runnerExecutionTimeout)
        guard timeout > 0 else { throw ConfigError("RUNNER_EXECUTION_TIMEOUT must be more than 0") }
        let network = settings.string(.runnerDockerNetwork)
        return Limits(
            memoryBytes: memory, cpus: cpus, cpuShares: nil, pids: try settings.int(.runnerDockerPidsLimit),
            timeout: timeout, network: network.isEmpty ? "none" : network,
            maxOutputBytes: Int(clamping: try settings.size(.runnerMaxOutputBytes)),
            pullTimeout: max(1, try settings.duration(.runnerDockerTimeout)))
    }

    /// These limits with a task's requests applied where they are tighter.
    func tightened(by resources: ExecTask.Resources) -> Limits {
        var limits = self
        if let memory = resources.memoryBytes { limits.memoryBytes = max(6 << 20, min(memory, memoryBytes)) }
        if let shares = resources.cpuShares { limits.cpuShares = min(shares, 1024) }  // 1024: Docker's default weight
        if let timeout = resources.timeoutSeconds { limits.timeout = min(timeout, self.timeout) }
        return limits
    }

    /// "30s", "1m30s": how error messages name the timeout.
    var timeoutText: String { GoDuration.format(seconds: timeout) }
}
