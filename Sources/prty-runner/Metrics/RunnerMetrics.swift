import Foundation
import Shared
import Synchronization

/// The node's series, named after Prometheus conventions (`prty_runner_` prefix, base units, `_total` counters,
/// `_seconds` durations); docs/metrics.md lists them with what each means. The runner calls the methods below at
/// its events; the tunnel, the outbox age and the process are read when scraped.
final class RunnerMetrics: Sendable {
    let registry = MetricsRegistry()

    let tasksReceived: Counter
    let tasksStarted: Counter
    let tasksFinished: Counter
    let taskDuration: Histogram
    let stageDuration: Histogram
    let heartbeats: Counter
    let heartbeatFailures: Counter
    let registrations: Counter
    let outboxEntries: Gauge
    let deadLetters: Counter
    let webhookRequests: Counter
    private let watched = Watched()

    /// What the scrape reads from elsewhere (a class, so the collectors can share it).
    private final class Watched: Sendable {
        let tunnel = Mutex<Tunnel?>(nil)
        let outboxOldest = Mutex<Date?>(nil)
        let outboxDirectory = Mutex<String?>(nil)
        let lastWebhook = Mutex<String?>(nil)
        var status: TunnelStatus? { tunnel.withLock { $0 }?.status }
    }

    init(version: String = Version.current, started: Date = Date()) {
        let registry = self.registry
        registry.collected(
            "prty_runner_build_info", "The running prty-runner's version (always 1).", .gauge, ["version"]
        ) { [(([version]), 1)] }
        registry.collected("process_start_time_seconds", "When the node started, in Unix seconds.") {
            [([], started.timeIntervalSince1970.rounded())]
        }
        registry.collected("process_resident_memory_bytes", "Resident memory of the node, in bytes.") {
            RunnerMetrics.residentBytes().map { [([], Double($0))] } ?? []
        }
        tasksReceived = registry.counter(
            "prty_runner_tasks_received_total", "Tasks offered to the node by webhook, by task type.", ["type"])
        tasksStarted = registry.counter(
            "prty_runner_tasks_started_total", "Tasks the server confirmed (start) and the node began, by type.",
            ["type"])
        tasksFinished = registry.counter(
            "prty_runner_tasks_finished_total",
            "Tasks finished, by type and outcome (succeeded, failed, cancelled, abandoned).", ["type", "outcome"])
        taskDuration = registry.histogram(
            "prty_runner_task_duration_seconds", "Time from start to result, by type and outcome.",
            ["type", "outcome"])
        stageDuration = registry.histogram(
            "prty_runner_stage_duration_seconds",
            "Time of one pipeline stage (fetch, partition, train, exec, post), by stage.", ["stage"])
        heartbeats = registry.counter("prty_runner_heartbeats_total", "Heartbeats the server accepted.")
        heartbeatFailures = registry.counter(
            "prty_runner_heartbeat_failures_total", "Heartbeats that failed (after their retries).")
        registrations = registry.counter(
            "prty_runner_registrations_total",
            "Registrations with the server, by reason (start, runner_not_found, url_change).", ["reason"])
        outboxEntries = registry.gauge(
            "prty_runner_outbox_entries", "Results, model updates and completions waiting to be delivered.")
        registry.collected(
            "prty_runner_outbox_oldest_entry_age_seconds",
            "Age of the oldest entry waiting in the outbox (0 when empty)."
        ) { [watched] in
            let oldest =
                watched.outboxDirectory.withLock { $0 }.map(RunnerMetrics.oldestFile)
                ?? watched.outboxOldest.withLock { $0 }
            return [([], oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0)]
        }
        deadLetters = registry.counter(
            "prty_runner_dead_letters_total", "Outbox entries the server rejected for good (moved to dead letters).")
        webhookRequests = registry.counter(
            "prty_runner_webhook_requests_total", "Webhook requests answered, by HTTP status code.", ["code"])

        registry.collected(
            "prty_runner_tunnel_up", "Whether the tunnel carries traffic now (1) or not (0), by tunnel type.", .gauge,
            ["type"]
        ) { [watched] in
            guard let status = watched.status else { return [] }
            return [([status.kind.rawValue], status.state == .up ? 1 : 0)]
        }
        registry.collected(
            "prty_runner_tunnel_info", "The tunnel's type, state and public webhook URL (always 1).", .gauge,
            ["type", "state", "public_url"]
        ) { [watched] in
            guard let status = watched.status else { return [] }
            return [([status.kind.rawValue, status.state.word, status.publicURL ?? ""], 1)]
        }
        registry.collected(
            "prty_runner_tunnel_reconnects_total", "bore control connections lost and re-established.", .counter
        ) { [watched] in
            guard let status = watched.status, status.kind == .bore else { return [] }
            return [([], Double(status.reconnects))]
        }
        registry.collected(
            "prty_runner_tunnel_connections_active", "Connections proxied through the bore tunnel now."
        ) { [watched] in
            guard let status = watched.status, status.kind == .bore else { return [] }
            return [([], Double(status.activeConnections))]
        }
        registry.collected(
            "prty_runner_tunnel_connections_total",
            "Connections through the bore tunnel, by result (proxied, refused at the connection limit).", .counter,
            ["result"]
        ) { [watched] in
            guard let status = watched.status, status.kind == .bore else { return [] }
            return [
                (["proxied"], Double(status.proxiedConnections)), (["refused"], Double(status.rejectedConnections)),
            ]
        }
    }

    /// The tunnel whose state the scrape shows.
    func watch(_ tunnel: Tunnel) { watched.tunnel.withLock { $0 = tunnel } }

    /// The outbox now: how many entries wait, and when the oldest was written.
    func outbox(depth: Int, oldest: Date?) {
        outboxEntries.set(Double(depth))
        watched.outboxOldest.withLock { $0 = depth == 0 ? nil : oldest }
    }

    /// One webhook request answered: counted by status code, and when it offered a task that the node took
    /// (200 `ok` to an `available_tasks` envelope), that task counted as received by its type.
    func webhookAnswered(status: Int, request body: [UInt8], response: [UInt8]) {
        webhookRequests.increment(String(status))
        guard status == 200, response.count < 64, Self.contains(body, Self.availableTasks),
            String(decoding: response, as: UTF8.self).contains("\"ok\""),
            let envelope = try? JSONParser.parse(body), envelope["type"]?.stringValue == "available_tasks"
        else { return }
        let task = envelope["payload"]?.arrayValue?.first ?? envelope["payload"]
        guard let task, task.objectValue != nil else { return }
        tasksReceived.increment(task["type"]?.stringValue ?? "unknown")
    }

    /// The outbox directory: the oldest entry's age is read from its files' modification times at each scrape.
    func watchOutbox(_ directory: String) { watched.outboxDirectory.withLock { $0 = directory } }

    /// `start` for the first registration, `url_change` when the webhook URL differs from the last one
    /// registered, `runner_not_found` when the same URL is registered again (the server had forgotten the node).
    func registrationReason(webhook: String) -> String {
        let previous = watched.lastWebhook.withLock { last -> String? in
            defer { last = webhook }
            return last
        }
        guard let previous else { return "start" }
        return previous == webhook ? "runner_not_found" : "url_change"
    }

    /// The modification time of the oldest entry in `directory` (hidden files skipped); nil when empty.
    static func oldestFile(_ directory: String) -> Date? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        return names.compactMap { name in
            (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.modificationDate] as? Date
        }.min()
    }

    private static let availableTasks = Array("available_tasks".utf8)

    /// Whether `needle` occurs in `bytes` (a cheap test before parsing a webhook body a second time).
    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == first && bytes[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// The exposition text.
    func render() -> String { registry.render() }

    /// Resident set size from /proc/self/statm (Linux); nil elsewhere.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
