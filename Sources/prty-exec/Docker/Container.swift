import Foundation
import Shared
import Synchronization

/// One task container, from create to remove: the locked-down configuration (Docker's default seccomp profile
/// kept, no-new-privileges, every capability dropped, read-only root with a tmpfs /tmp, no network unless
/// configured, an init process, memory/CPU/pids limits), a timeout that stops then kills, stats sampled while it
/// runs, the log demultiplexed into a capped buffer. The container is removed on every path out.
struct Container {
    struct Spec: Sendable {
        var image: String
        var command: [String]
        var env: [String]
        var workdir: String
        var limits: Limits
    }

    struct Outcome: Sendable {
        var exitCode: Int
        var timedOut = false
        var oomKilled = false
        var interrupted: Int32?
        var output: CappedOutput
        var seconds: Double
        var metrics = Metrics()
    }

    /// Resource use from the engine's stats: cumulative counters, so the last (largest) sample counts.
    struct Metrics: Sendable, Equatable {
        var cpuNanoseconds: UInt64 = 0
        var peakMemoryBytes: UInt64 = 0
        var networkBytes: UInt64 = 0
        var blockBytes: UInt64 = 0
    }

    /// The sampler's readings, shared with the supervising task (the Mutex is what makes it Sendable).
    final class MetricsBox: Sendable {
        let value = Mutex(Metrics())
    }

    let engine: EngineAPI
    let log: Log

    /// The HostConfig every task container gets (docs/exec.md, "Sandbox").
    static func createBody(_ spec: Spec) -> JSON {
        var host: [String: JSON] = [
            "Memory": .int(Int(spec.limits.memoryBytes)),
            "MemorySwap": .int(Int(spec.limits.memoryBytes)),  // equal to Memory: no swap on top
            "NanoCpus": .int(Int((spec.limits.cpus * 1e9).rounded())),
            "PidsLimit": .int(spec.limits.pids),
            "ReadonlyRootfs": true,
            "Tmpfs": ["/tmp": "rw,nosuid,nodev,size=64m"],
            "CapDrop": ["ALL"],
            // Only no-new-privileges: naming a seccomp profile would replace Docker's default one.
            "SecurityOpt": ["no-new-privileges"],
            "NetworkMode": .string(spec.limits.network),
            "Init": true,
            "AutoRemove": false,
            "OomKillDisable": false,
        ]
        if let shares = spec.limits.cpuShares { host["CpuShares"] = .int(shares) }
        var body: [String: JSON] = [
            "Image": .string(spec.image), "Env": .strings(spec.env), "WorkingDir": .string(spec.workdir),
            "HostConfig": .object(host), "AttachStdout": false, "AttachStderr": false, "Tty": false,
            "OpenStdin": false, "Labels": ["org.parity.prty-exec": "task"],
        ]
        if !spec.command.isEmpty { body["Cmd"] = .strings(spec.command) }
        if spec.limits.network == "none" { body["NetworkDisabled"] = true }
        return .object(body)
    }

    func run(_ spec: Spec, name: String) async throws -> Outcome {
        let created = try await engine.json(
            engine.request(.post, "/containers/create", query: [("name", name)], body: Self.createBody(spec)))
        guard let id = created["Id"]?.stringValue else {
            throw ExecError.protocolError("the Docker engine created a container but did not say its id")
        }
        for warning in created["Warnings"]?.arrayValue ?? [] {
            if let text = warning.stringValue, !text.isEmpty { log.warning("docker_warning", text) }
        }
        do {
            let outcome = try await supervise(id: id, spec: spec)
            await remove(id)
            return outcome
        } catch {
            await remove(id)
            throw error
        }
    }

    private enum Event: Sendable, Equatable {
        case exited, timedOut
        case interrupted(Int32)
    }

    private func supervise(id: String, spec: Spec) async throws -> Outcome {
        let metrics = MetricsBox()
        let started = Monotonic.seconds()
        try await engine.call(engine.request(.post, "/containers/\(id)/start"))
        let sampler = Task { await sample(id: id, into: metrics) }
        defer { sampler.cancel() }

        let timeout = spec.limits.timeout
        let event: Event = try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                var request = engine.request(.post, "/containers/\(id)/wait", query: [("condition", "not-running")])
                request.timeout = timeout + 3600  // the race below bounds it; this only keeps a request finite
                try await engine.call(request)
                return .exited
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(min(timeout, 1e7) * 1000)))
                return .timedOut
            }
            group.addTask {
                while !Task.isCancelled {
                    if let signal = Interruption.signal { return .interrupted(signal) }
                    try await Task.sleep(for: .milliseconds(50))
                }
                throw CancellationError()
            }
            defer { group.cancelAll() }
            return try await group.next() ?? .exited
        }

        var outcome = Outcome(exitCode: 0, output: CappedOutput(limit: spec.limits.maxOutputBytes), seconds: 0)
        switch event {
        case .exited: break
        case .timedOut:
            outcome.timedOut = true
            log.info("container_timeout", "stopping the container at its \(spec.limits.timeoutText) limit")
            await stop(id, grace: 5)
        case .interrupted(let signal):
            outcome.interrupted = signal
            log.info("container_interrupted", "stopping the container: prty-exec was interrupted")
            await stop(id, grace: 1)  // Interruption ends the process 5 s after the signal
        }
        outcome.seconds = Monotonic.seconds() - started
        sampler.cancel()

        let state = try await engine.json(cleanup(.get, "/containers/\(id)/json"))["State"]
        outcome.exitCode = state?["ExitCode"]?.intValue ?? -1
        outcome.oomKilled = state?["OOMKilled"]?.boolValue ?? false
        if let seconds = Self.runSeconds(state), event == .exited { outcome.seconds = seconds }
        outcome.output = try await logs(id: id, limit: spec.limits.maxOutputBytes)
        outcome.metrics = metrics.value.withLock { $0 }
        return outcome
    }

    /// A request that still runs after SIGINT/SIGTERM: the clean-up of an interrupted task.
    private func cleanup(_ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = []) -> HTTPRequest {
        var request = engine.request(method, path, query: query)
        request.continuesAfterInterruption = true
        return request
    }

    /// Stop (SIGTERM to the init, SIGKILL after `grace` seconds), then kill in case stop did not finish it.
    private func stop(_ id: String, grace: Int) async {
        var request = cleanup(.post, "/containers/\(id)/stop", query: [("t", String(grace))])
        request.timeout = Double(grace) + 15
        _ = try? await engine.call(request, accept: [304, 404])
        _ = try? await engine.call(cleanup(.post, "/containers/\(id)/kill"), accept: [404, 409])
        var wait = cleanup(.post, "/containers/\(id)/wait", query: [("condition", "not-running")])
        wait.timeout = 15
        _ = try? await engine.call(wait, accept: [404])
    }

    /// Force-removes the container and its anonymous volumes; tried again once, and never cancelled.
    private func remove(_ id: String) async {
        let request = cleanup(.delete, "/containers/\(id)", query: [("force", "1"), ("v", "1")])
        let engine = self.engine
        let log = self.log
        await Task.detached {
            for attempt in 1...2 {
                do {
                    try await engine.call(request, accept: [404])
                    return
                } catch {
                    if attempt == 2 { log.warning("container_remove", "could not remove container \(id): \(error)") }
                }
            }
        }.value
    }

    /// StartedAt → FinishedAt, as the engine measured the run.
    private static func runSeconds(_ state: JSON?) -> Double? {
        guard let started = state?["StartedAt"]?.stringValue.flatMap(parseTime),
            let finished = state?["FinishedAt"]?.stringValue.flatMap(parseTime), finished >= started
        else { return nil }
        return finished - started
    }

    /// RFC 3339 with up to 9 fractional digits → seconds since 1970.
    static func parseTime(_ text: String) -> Double? {
        guard text.count >= 20, !text.hasPrefix("0001") else { return nil }
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            whole = String(text[..<dot]) + String(text[text.index(after: dot)...].drop { $0.isNumber })
        }
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: whole) else { return nil }
        return date.timeIntervalSince1970 + fraction
    }

    /// The container's log (stdout and stderr frames, demultiplexed) into a capped buffer.
    private func logs(id: String, limit: Int) async throws -> CappedOutput {
        var request = cleanup(.get, "/containers/\(id)/logs", query: [("stdout", "1"), ("stderr", "1")])
        request.maxResponseBytes = nil
        request.timeout = 600
        request.idleTimeout = 60
        let response = try await engine.client.stream(request)
        guard response.isSuccess else {
            let collected = try await response.collect()
            throw ExecError.engine(
                status: response.status, message: EngineAPI.message(collected.bytes), method: "GET",
                path: "/containers/\(id)/logs")
        }
        var output = CappedOutput(limit: limit)
        var demux = LogDemultiplexer()
        for try await chunk in response.body {
            demux.feed(chunk) { output.append($0) }
        }
        return output
    }

    /// Follows `/containers/{id}/stats` (one sample a second) until the container stops or the task is cancelled.
    private func sample(id: String, into metrics: MetricsBox) async {
        var request = engine.request(.get, "/containers/\(id)/stats", query: [("stream", "1")])
        request.maxResponseBytes = nil
        request.timeout = 1e7
        guard let response = try? await engine.client.stream(request), response.isSuccess else { return }
        do {
            for try await line in response.body.lines {
                guard let sample = try? JSONParser.parse(line) else { continue }
                let reading = Self.metrics(sample)
                metrics.value.withLock { current in
                    current.cpuNanoseconds = max(current.cpuNanoseconds, reading.cpuNanoseconds)
                    current.peakMemoryBytes = max(current.peakMemoryBytes, reading.peakMemoryBytes)
                    current.networkBytes = max(current.networkBytes, reading.networkBytes)
                    current.blockBytes = max(current.blockBytes, reading.blockBytes)
                }
            }
        } catch {}  // the stream ends when the container does, or when the sampler is cancelled
    }

    /// One stats sample's counters (cgroup v1 and v2 shapes).
    static func metrics(_ sample: JSON) -> Metrics {
        func number(_ value: JSON?) -> UInt64 { value?.numberValue?.uint64 ?? 0 }
        var metrics = Metrics()
        metrics.cpuNanoseconds = number(sample["cpu_stats"]?["cpu_usage"]?["total_usage"])
        let memory = sample["memory_stats"]
        metrics.peakMemoryBytes = max(number(memory?["max_usage"]), number(memory?["usage"]))
        for (_, network) in sample["networks"]?.objectValue ?? [:] {
            metrics.networkBytes += number(network["rx_bytes"]) + number(network["tx_bytes"])
        }
        for entry in sample["blkio_stats"]?["io_service_bytes_recursive"]?.arrayValue ?? [] {
            let op = entry["op"]?.stringValue?.lowercased()
            if op == "read" || op == "write" { metrics.blockBytes += number(entry["value"]) }
        }
        return metrics
    }
}

/// Docker's multiplexed log stream (no TTY): frames of an 8-byte header — stream type, three zero bytes, a
/// big-endian length — followed by that many bytes. Frames may straddle chunks.
struct LogDemultiplexer {
    private var pending: [UInt8] = []
    private var remaining = 0

    mutating func feed(_ chunk: [UInt8], _ emit: ([UInt8]) -> Void) {
        var index = 0
        while index < chunk.count {
            if remaining > 0 {
                let take = min(remaining, chunk.count - index)
                emit(Array(chunk[index..<index + take]))
                remaining -= take
                index += take
                continue
            }
            let need = 8 - pending.count
            let take = min(need, chunk.count - index)
            pending += chunk[index..<index + take]
            index += take
            if pending.count == 8 {
                remaining = pending[4...7].reduce(0) { $0 << 8 | Int($1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
    }
}
