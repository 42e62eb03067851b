import Foundation
import Synchronization

/// A small Prometheus registry: counters, gauges and histograms with labels, and gauges computed when scraped.
/// `render()` writes the text exposition format 0.0.4 (docs/metrics.md lists the runner's series). Families are written
/// in the order they were declared, series in label order, so two scrapes of the same state are identical.
///
///     let registry = MetricsRegistry()
///     let received = registry.counter("prty_runner_tasks_received_total", "Tasks offered by webhook.", ["type"])
///     received.increment("docker")
///     print(registry.render())
final class MetricsRegistry: Sendable {
    enum Kind: String, Sendable { case counter, gauge, histogram }

    struct Family: Sendable {
        let name: String
        let help: String
        let kind: Kind
        let labels: [String]
        /// Histogram upper bounds, ascending, without +Inf.
        let buckets: [Double]
    }

    fileprivate struct Series: Sendable {
        var value = 0.0
        var bucketCounts: [UInt64] = []
        var sum = 0.0
        var count: UInt64 = 0
    }

    private struct State: Sendable {
        var families: [Family] = []
        var series: [[[String]: Series]] = []
        var collectors: [Int: @Sendable () -> [([String], Double)]] = [:]
    }

    private let state = Mutex(State())

    /// Latency buckets in seconds for things that take milliseconds to minutes.
    static let durationBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
    ]

    // MARK: Declaring

    func counter(_ name: String, _ help: String, _ labels: [String] = []) -> Counter {
        Counter(
            registry: self, index: declare(Family(name: name, help: help, kind: .counter, labels: labels, buckets: [])))
    }

    func gauge(_ name: String, _ help: String, _ labels: [String] = []) -> Gauge {
        Gauge(registry: self, index: declare(Family(name: name, help: help, kind: .gauge, labels: labels, buckets: [])))
    }

    func histogram(_ name: String, _ help: String, _ labels: [String] = [], buckets: [Double] = durationBuckets)
        -> Histogram
    {
        let sorted = Array(Set(buckets.filter(\.isFinite))).sorted()
        return Histogram(
            registry: self,
            index: declare(Family(name: name, help: help, kind: .histogram, labels: labels, buckets: sorted)))
    }

    /// A counter or gauge whose series are read from `collect` at every scrape (state owned elsewhere: the
    /// tunnel, the outbox, the process).
    func collected(
        _ name: String, _ help: String, _ kind: Kind = .gauge, _ labels: [String] = [],
        _ collect: @escaping @Sendable () -> [([String], Double)]
    ) {
        let index = declare(Family(name: name, help: help, kind: kind, labels: labels, buckets: []))
        state.withLock { $0.collectors[index] = collect }
    }

    private func declare(_ family: Family) -> Int {
        state.withLock { state in
            if let existing = state.families.firstIndex(where: { $0.name == family.name }) { return existing }
            state.families.append(family)
            state.series.append([:])
            return state.families.count - 1
        }
    }

    // MARK: Updating

    fileprivate func update(_ index: Int, _ labels: [String], _ change: (inout Series, Family) -> Void) {
        state.withLock { state in
            let family = state.families[index]
            let key = Self.fit(labels, to: family.labels.count)
            var series = state.series[index][key] ?? Series()
            if family.kind == .histogram && series.bucketCounts.isEmpty {
                series.bucketCounts = Array(repeating: 0, count: family.buckets.count)
            }
            change(&series, family)
            state.series[index][key] = series
        }
    }

    /// Exactly `count` label values: a missing one is empty, extra ones are dropped.
    private static func fit(_ labels: [String], to count: Int) -> [String] {
        Array((labels + Array(repeating: "", count: max(0, count - labels.count))).prefix(count))
    }

    /// The current value of one counter or gauge series (tests, `status`).
    func value(_ name: String, _ labels: [String] = []) -> Double? {
        let found = state.withLock { state -> (Double?, (@Sendable () -> [([String], Double)])?) in
            guard let index = state.families.firstIndex(where: { $0.name == name }) else { return (nil, nil) }
            if let collect = state.collectors[index] { return (nil, collect) }
            let series = state.series[index][labels]
            return (state.families[index].kind == .histogram ? series.map { Double($0.count) } : series?.value, nil)
        }
        if let collect = found.1 { return collect().first { $0.0 == labels }?.1 }  // outside the lock
        return found.0
    }

    // MARK: Exposition

    /// The text exposition format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func render() -> String {
        let (families, series, collectors) = state.withLock { ($0.families, $0.series, $0.collectors) }
        var out = ""
        for (index, family) in families.enumerated() {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            if let collect = collectors[index] {
                for (labels, value) in collect().sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) {
                    out += sample(family.name, family.labels, Self.fit(labels, to: family.labels.count), value)
                }
                continue
            }
            var entries = series[index].sorted { $0.key.lexicographicallyPrecedes($1.key) }
            if entries.isEmpty && family.labels.isEmpty && family.kind != .histogram {
                entries = [([], Series())]  // an unlabelled counter or gauge is 0 before its first change
            }
            for (labels, value) in entries {
                switch family.kind {
                case .counter, .gauge:
                    out += sample(family.name, family.labels, labels, value.value)
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (bound, count) in zip(family.buckets, value.bucketCounts) {
                        cumulative += count
                        out += sample(
                            family.name + "_bucket", family.labels + ["le"], labels + [Self.number(bound)],
                            Double(cumulative))
                    }
                    out += sample(
                        family.name + "_bucket", family.labels + ["le"], labels + ["+Inf"], Double(value.count))
                    out += sample(family.name + "_sum", family.labels, labels, value.sum)
                    out += sample(family.name + "_count", family.labels, labels, Double(value.count))
                }
            }
        }
        return out
    }

    private func sample(_ name: String, _ names: [String], _ values: [String], _ value: Double) -> String {
        guard !names.isEmpty else { return "\(name) \(Self.number(value))\n" }
        let pairs = zip(names, values).map { "\($0)=\"\(Self.escapeLabel($1))\"" }
        return "\(name){\(pairs.joined(separator: ","))} \(Self.number(value))\n"
    }

    /// Whole numbers without a fraction, others in Swift's shortest round-trip form; never NaN or infinities
    /// (a non-finite value is written as 0: a scrape must stay parseable).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabel(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Only goes up. `increment("docker", "success")` names the label values in declaration order.
struct Counter: Sendable {
    fileprivate let registry: MetricsRegistry
    fileprivate let index: Int

    func increment(_ labels: String..., by amount: Double = 1) {
        guard amount.isFinite, amount >= 0 else { return }
        registry.update(index, labels) { series, _ in series.value += amount }
    }
}

/// Goes up and down.
struct Gauge: Sendable {
    fileprivate let registry: MetricsRegistry
    fileprivate let index: Int

    func set(_ value: Double, _ labels: String...) {
        guard value.isFinite else { return }
        registry.update(index, labels) { series, _ in series.value = value }
    }

    func add(_ amount: Double, _ labels: String...) {
        guard amount.isFinite else { return }
        registry.update(index, labels) { series, _ in series.value += amount }
    }
}

/// Counts observations into cumulative buckets (Prometheus `le` buckets), with their sum and count.
struct Histogram: Sendable {
    fileprivate let registry: MetricsRegistry
    fileprivate let index: Int

    func observe(_ value: Double, _ labels: String...) {
        guard value.isFinite else { return }
        registry.update(index, labels) { series, family in
            if let bucket = family.buckets.firstIndex(where: { value <= $0 }) { series.bucketCounts[bucket] += 1 }
            series.sum += value
            series.count += 1
        }
    }
}
