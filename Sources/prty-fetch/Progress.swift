import Foundation
import Shared

/// Progress of one retrieval on stderr: a redrawn line on a terminal (at most ten times a second), a
/// `progress` event every second with `--log-format json`, a plain line every ten seconds otherwise; and one
/// closing line for large or slow fetches. Never on stdout.
struct Progress {
    let root: String
    let log: Log?
    var gateway = ""
    private(set) var bytes: UInt64 = 0
    private(set) var blocks = 0
    private var total: UInt64? = nil
    private let started = ContinuousClock.now
    private var lastShown = ContinuousClock.now
    private var drewLine = false

    init(root: String, log: Log?) {
        self.root = root
        self.log = log
    }

    mutating func advance(bytes count: UInt64, total: UInt64?) {
        bytes += count
        blocks += 1
        self.total = total
        guard let log else { return }
        let now = ContinuousClock.now
        let interval: Duration = log.format == .json ? .seconds(1) : log.isTerminal ? .milliseconds(100) : .seconds(10)
        guard now - lastShown >= interval else { return }
        lastShown = now
        show(log, final: false)
    }

    mutating func finish() {
        guard let log else { return }
        let seconds = elapsedSeconds
        if drewLine { Log.writeStderr("\r\u{1B}[K") }
        if bytes >= 16 << 20 || seconds >= 2 { show(log, final: true) }
    }

    private var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    private mutating func show(_ log: Log, final: Bool) {
        let seconds = max(elapsedSeconds, 1e-3)
        let rate = Double(bytes) / seconds / 1e6
        let of = total.map { " of \(Size.human(Int64($0)))" } ?? ""
        let from = gateway.isEmpty ? "" : " from \(gateway)"
        let text =
            final
            ? "fetched \(root): \(Size.human(Int64(bytes))) in \(blocks) blocks\(from) (\(String(format: "%.1f", rate)) MB/s)"
            : "\(Size.human(Int64(bytes)))\(of), \(blocks) blocks\(from), \(String(format: "%.1f", rate)) MB/s"
        let fields: [String: JSON] = [
            "bytes": .uint64(bytes), "blocks": .int(blocks), "gateway": .string(gateway),
            "cid": .string(root),
        ]
        if log.format == .human && log.isTerminal && !final {
            Log.writeStderr("\r\u{1B}[K\(log.tool): \(text)")
            drewLine = true
        } else {
            log.info(
                final ? "fetched" : "progress", text,
                fields.merging(total.map { ["total": .uint64($0)] } ?? [:]) { a, _ in a })
        }
    }
}
