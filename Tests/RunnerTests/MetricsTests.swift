import Foundation
import Shared
import Testing

@testable import prty_runner

/// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's documentation,
/// independent of the writer: every scrape the tests take must pass it.
struct Exposition {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    var types: [String: String] = [:]
    var helps: [String: String] = [:]
    var samples: [Sample] = []

    enum Failure: Error, CustomStringConvertible {
        case line(Int, String, String)
        var description: String {
            if case .line(let number, let text, let why) = self { return "line \(number) '\(text)': \(why)" }
            return ""
        }
    }

    static func isMetricName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" || first == ":" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw Failure.line(0, "", "the exposition must end with a newline") }
        var seenFamilies: [String] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = offset + 1
            func fail(_ why: String) -> Failure { .line(number, String(line), why) }
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard let name = parts.first, Self.isMetricName(name) else { throw fail("bad metric name") }
                let rest = parts.count > 1 ? String(parts[1]) : ""
                if line.hasPrefix("# TYPE ") {
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else {
                        throw fail("unknown type")
                    }
                    guard types[String(name)] == nil else { throw fail("a second TYPE line") }
                    guard !samples.contains(where: { Self.family(of: $0.name, types) == String(name) }) else {
                        throw fail("TYPE after the family's samples")
                    }
                    types[String(name)] = rest
                    seenFamilies.append(String(name))
                } else {
                    guard helps[String(name)] == nil else { throw fail("a second HELP line") }
                    helps[String(name)] = rest
                }
                continue
            }
            guard !line.hasPrefix("#"), !line.isEmpty else { continue }
            // name{label="value",…} value
            var index = line.startIndex
            while index < line.endIndex, line[index] != "{", line[index] != " " { index = line.index(after: index) }
            let name = line[..<index]
            guard Self.isMetricName(name) else { throw fail("bad metric name") }
            var labels: [String: String] = [:]
            if index < line.endIndex, line[index] == "{" {
                index = line.index(after: index)
                while line[index] != "}" {
                    var end = index
                    while end < line.endIndex, line[end] != "=" { end = line.index(after: end) }
                    let label = line[index..<end]
                    guard Self.isLabelName(label), end < line.endIndex else { throw fail("bad label name") }
                    index = line.index(after: end)
                    guard index < line.endIndex, line[index] == "\"" else { throw fail("label value not quoted") }
                    index = line.index(after: index)
                    var value = ""
                    while true {
                        guard index < line.endIndex else { throw fail("unterminated label value") }
                        let character = line[index]
                        if character == "\"" { break }
                        if character == "\\" {
                            index = line.index(after: index)
                            guard index < line.endIndex else { throw fail("dangling escape") }
                            switch line[index] {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw fail("bad escape")
                            }
                        } else {
                            value.append(character)
                        }
                        index = line.index(after: index)
                    }
                    guard labels.updateValue(value, forKey: String(label)) == nil else { throw fail("repeated label") }
                    index = line.index(after: index)
                    if line[index] == "," { index = line.index(after: index) }
                }
                index = line.index(after: index)
            }
            guard index < line.endIndex, line[index] == " " else { throw fail("no space before the value") }
            let valueText = line[line.index(after: index)...]
            let value: Double? =
                switch valueText {
                case "+Inf": .infinity
                case "-Inf": -.infinity
                default: Double(valueText)
                }
            guard let value, !value.isNaN else { throw fail("the value is not a number") }
            let family = Self.family(of: String(name), types)
            guard types[family] != nil, seenFamilies.last == family else {
                throw fail("a sample outside its family's TYPE block")
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
    }

    /// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to their base name.
    static func family(of name: String, _ types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Prometheus naming conventions and histogram consistency.
    func checkConventions() -> [String] {
        var problems: [String] = []
        for (name, type) in types {
            if helps[name] == nil { problems.append("\(name) has no HELP") }
            if type == "counter" && !name.hasSuffix("_total") { problems.append("counter \(name) lacks _total") }
            if type != "counter" && name.hasSuffix("_total") { problems.append("\(type) \(name) ends in _total") }
            if name.contains("milliseconds") || name.hasSuffix("_ms") { problems.append("\(name): use seconds") }
            guard type == "histogram" else { continue }
            var groups: [[String: String]: [(Double, Double)]] = [:]
            for sample in samples where sample.name == name + "_bucket" {
                var key = sample.labels
                guard let le = key.removeValue(forKey: "le") else {
                    problems.append("\(name)_bucket without le")
                    continue
                }
                let bound = le == "+Inf" ? Double.infinity : Double(le) ?? .nan
                groups[key, default: []].append((bound, sample.value))
            }
            for (labels, buckets) in groups {
                if buckets.map(\.0) != buckets.map(\.0).sorted() { problems.append("\(name) buckets out of order") }
                if buckets.map(\.1) != buckets.map(\.1).sorted() { problems.append("\(name) buckets not cumulative") }
                guard buckets.last?.0 == .infinity else {
                    problems.append("\(name) has no +Inf bucket")
                    continue
                }
                if value(name + "_count", labels) != buckets.last?.1 { problems.append("\(name) +Inf ≠ _count") }
                if value(name + "_sum", labels) == nil { problems.append("\(name) has no _sum") }
            }
        }
        return problems
    }
}

struct MetricsExpositionTests {
    @Test func registryWritesCountersGaugesAndHistograms() throws {
        let registry = MetricsRegistry()
        let requests = registry.counter("demo_requests_total", "Requests.\nBy code \\ path.", ["code", "path"])
        let temperature = registry.gauge("demo_temperature_celsius", "Temperature.")
        let latency = registry.histogram("demo_latency_seconds", "Latency.", ["route"], buckets: [0.1, 1, 0.5])
        requests.increment("200", "/a\"b\\c\nd")
        requests.increment("200", "/a\"b\\c\nd", by: 2)
        requests.increment("500", "/")
        requests.increment("500", "/", by: -1)  // ignored: counters only go up
        temperature.set(-3.5)
        latency.observe(0.05, "x")
        latency.observe(0.7, "x")
        latency.observe(3, "x")
        latency.observe(.nan, "x")  // ignored

        let text = registry.render()
        let parsed = try Exposition(text)
        #expect(parsed.checkConventions().isEmpty, "\(parsed.checkConventions())")
        #expect(
            parsed.types == [
                "demo_requests_total": "counter", "demo_temperature_celsius": "gauge",
                "demo_latency_seconds": "histogram",
            ])
        #expect(parsed.helps["demo_requests_total"] == #"Requests.\nBy code \\ path."#)
        #expect(parsed.value("demo_requests_total", ["code": "200", "path": "/a\"b\\c\nd"]) == 3)
        #expect(parsed.value("demo_requests_total", ["code": "500", "path": "/"]) == 1)
        #expect(parsed.value("demo_temperature_celsius") == -3.5)
        #expect(parsed.value("demo_latency_seconds_bucket", ["route": "x", "le": "0.1"]) == 1)
        #expect(parsed.value("demo_latency_seconds_bucket", ["route": "x", "le": "0.5"]) == 1)
        #expect(parsed.value("demo_latency_seconds_bucket", ["route": "x", "le": "1"]) == 2)
        #expect(parsed.value("demo_latency_seconds_bucket", ["route": "x", "le": "+Inf"]) == 3)
        #expect(parsed.value("demo_latency_seconds_count", ["route": "x"]) == 3)
        #expect(parsed.value("demo_latency_seconds_sum", ["route": "x"]) == 3.75)
        #expect(registry.render() == text, "two scrapes of one state are identical")
    }

    @Test func theReaderRefusesBrokenExpositions() {
        for bad in [
            "x 1\n",  // no TYPE
            "# TYPE x counter\nx{a=\"1} 1\n",  // unterminated
            "# TYPE x gauge\nx NaN\n",
            "# TYPE x gauge\nx 1",  // no final newline
            "# TYPE 1x gauge\n",
            "# TYPE x gauge\n# TYPE x gauge\n",
            "# TYPE x gauge\nx{a=\"\\q\"} 1\n",
        ] {
            #expect(throws: Exposition.Failure.self, "\(bad.debugDescription)") { try Exposition(bad) }
        }
    }

    @Test func theRunnerSeriesFollowTheConventions() throws {
        let metrics = RunnerMetrics(version: "9.9.9", started: Date(timeIntervalSince1970: 1_700_000_000))
        metrics.tasksReceived.increment("docker")
        metrics.tasksStarted.increment("docker")
        metrics.tasksFinished.increment("docker", "success")
        metrics.taskDuration.observe(1.25, "docker", "success")
        metrics.stageDuration.observe(0.2, "exec")
        metrics.heartbeats.increment()
        metrics.heartbeatFailures.increment()
        metrics.registrations.increment("start")
        metrics.registrations.increment("url_change")
        metrics.outbox(depth: 2, oldest: Date().addingTimeInterval(-30))
        metrics.deadLetters.increment()
        metrics.webhookRequests.increment("200")
        metrics.webhookRequests.increment("409")

        let parsed = try Exposition(metrics.render())
        #expect(parsed.checkConventions().isEmpty, "\(parsed.checkConventions())")
        #expect(parsed.value("prty_runner_build_info", ["version": "9.9.9"]) == 1)
        #expect(parsed.value("process_start_time_seconds") == 1_700_000_000)
        #expect((parsed.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect(parsed.value("prty_runner_tasks_received_total", ["type": "docker"]) == 1)
        #expect(parsed.value("prty_runner_tasks_finished_total", ["type": "docker", "outcome": "success"]) == 1)
        #expect(parsed.value("prty_runner_task_duration_seconds_count", ["type": "docker", "outcome": "success"]) == 1)
        #expect(parsed.value("prty_runner_stage_duration_seconds_sum", ["stage": "exec"]) == 0.2)
        #expect(parsed.value("prty_runner_heartbeat_failures_total") == 1)
        #expect(parsed.value("prty_runner_registrations_total", ["reason": "url_change"]) == 1)
        #expect(parsed.value("prty_runner_outbox_entries") == 2)
        let age = try #require(parsed.value("prty_runner_outbox_oldest_entry_age_seconds"))
        #expect(age >= 29 && age < 120)
        #expect(parsed.value("prty_runner_dead_letters_total") == 1)
        #expect(parsed.value("prty_runner_webhook_requests_total", ["code": "409"]) == 1)
        for family in [
            "prty_runner_tunnel_up", "prty_runner_tunnel_info", "prty_runner_tunnel_reconnects_total",
            "prty_runner_tasks_started_total",
        ] {
            #expect(parsed.types[family] != nil, "\(family) is declared")
        }

        metrics.outbox(depth: 0, oldest: nil)
        #expect(try Exposition(metrics.render()).value("prty_runner_outbox_oldest_entry_age_seconds") == 0)
    }

    @Test func theTunnelIsShownWhenWatched() async throws {
        let metrics = RunnerMetrics()
        let plan = try TunnelPlan.resolve(
            Settings(environment: ["RUNNER_PUBLIC_HOST": "node.example.org"]), webhookPort: 8081)
        let tunnel = try await Tunnel.start(plan, webhookPort: 8081)
        metrics.watch(tunnel)
        let parsed = try Exposition(metrics.render())
        #expect(parsed.value("prty_runner_tunnel_up", ["type": "local"]) == 1)
        #expect(
            parsed.value(
                "prty_runner_tunnel_info",
                ["type": "local", "state": "up", "public_url": "http://node.example.org:8081/webhook"]) == 1)
        #expect(parsed.value("prty_runner_tunnel_reconnects_total") == nil)  // bore only
        await tunnel.stop()
        #expect(try Exposition(metrics.render()).value("prty_runner_tunnel_up", ["type": "local"]) == 0)
    }

    @Test func webhookAnswersAreCountedByCodeAndTakenTasksByType() throws {
        let metrics = RunnerMetrics()
        let ok = Array(#"{"status":"ok"}"#.utf8)
        let task = Array(#"{"type":"available_tasks","payload":{"id":"t1","type":"docker"}}"#.utf8)
        let array = Array(#"{"type":"available_tasks","payload":[{"id":"t2","type":"llm"},{"id":"t3"}]}"#.utf8)
        metrics.webhookAnswered(status: 200, request: task, response: ok)
        metrics.webhookAnswered(status: 200, request: array, response: ok)
        metrics.webhookAnswered(status: 200, request: task, response: Array(#"{"status":"skipped"}"#.utf8))
        metrics.webhookAnswered(status: 409, request: task, response: Array(#"{"status":"busy"}"#.utf8))
        metrics.webhookAnswered(status: 200, request: Array(#"{"type":"ping"}"#.utf8), response: ok)
        metrics.webhookAnswered(status: 400, request: Array("{".utf8), response: [])
        let parsed = try Exposition(metrics.render())
        #expect(parsed.value("prty_runner_webhook_requests_total", ["code": "200"]) == 4)
        #expect(parsed.value("prty_runner_webhook_requests_total", ["code": "409"]) == 1)
        #expect(parsed.value("prty_runner_webhook_requests_total", ["code": "400"]) == 1)
        #expect(parsed.value("prty_runner_tasks_received_total", ["type": "docker"]) == 1)
        #expect(parsed.value("prty_runner_tasks_received_total", ["type": "llm"]) == 1)
    }

    @Test func registrationsAreToldApartByWhatChanged() throws {
        let metrics = RunnerMetrics()
        #expect(metrics.registrationReason(webhook: "http://bore.pub:1/webhook") == "start")
        #expect(metrics.registrationReason(webhook: "http://bore.pub:1/webhook") == "runner_not_found")
        #expect(metrics.registrationReason(webhook: "http://bore.pub:2/webhook") == "url_change")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-outbox-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        metrics.watchOutbox(directory.path)
        #expect(try Exposition(metrics.render()).value("prty_runner_outbox_oldest_entry_age_seconds") == 0)
        let entry = directory.appendingPathComponent("t1.result.json").path
        #expect(FileManager.default.createFile(atPath: entry, contents: Data("{}".utf8)))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-90)], ofItemAtPath: entry)
        let age = try #require(try Exposition(metrics.render()).value("prty_runner_outbox_oldest_entry_age_seconds"))
        #expect(age >= 89 && age < 200)
    }

    @Test func theEndpointAnswersGETMetricsOnly() {
        let metrics = RunnerMetrics()
        let ok = MetricsEndpoint.answer(method: "GET", path: "/metrics?x=1", metrics: metrics)
        #expect(ok.status == 200 && ok.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ok.body.contains("# TYPE prty_runner_build_info gauge"))
        #expect(MetricsEndpoint.answer(method: "POST", path: "/metrics", metrics: metrics).status == 405)
        #expect(MetricsEndpoint.answer(method: "GET", path: "/webhook", metrics: metrics).status == 404)
        #expect(MetricsEndpoint.answer(method: "HEAD", path: "/metrics", metrics: metrics).status == 200)
    }

    @Test func theAddressSettingParsesOrTurnsMetricsOff() throws {
        func address(_ value: String?) throws -> String? {
            let environment = value.map { ["RUNNER_METRICS_ADDR": $0] } ?? [:]
            return try MetricsEndpoint.address(Settings(environment: environment)).map { "\($0.host) \($0.port)" }
        }
        #expect(try address(nil) == "127.0.0.1 9464")
        #expect(try address("0.0.0.0:9100") == "0.0.0.0 9100")
        #expect(try address(":9100") == "0.0.0.0 9100")
        #expect(try address("localhost:9100") == "127.0.0.1 9100")
        #expect(try address("") == nil)
        #expect(try address("off") == nil)
        for bad in [
            "9464", "localhost:99999", "localhost:x", "::1:9464", "[::1]:9464", "a b:1", "example.org:1", "1.2.3:4",
        ] {
            #expect(throws: ConfigError.self, "\(bad)") { try address(bad) }
        }
        let file = try DotEnv.parse("RUNNER_METRICS_ADDR=\n", file: ".env")
        #expect(try MetricsEndpoint.address(Settings(file: file, filePath: ".env")) == nil)
    }
}
