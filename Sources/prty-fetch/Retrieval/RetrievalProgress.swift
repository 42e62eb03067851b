import Foundation
import Shared

/// Progress of one retrieval on stderr through Shared's `ProgressReporter` (a bar on a terminal, `progress`
/// events with `--log-format json`, nothing on a pipe), then one closing line for a large or slow fetch
/// naming what was fetched, from where, and how fast. Never on stdout.
struct RetrievalProgress {
    let root: String
    let log: Log?
    private let reporter: ProgressReporter?
    var gateway = ""
    private(set) var bytes: UInt64 = 0
    private(set) var blocks = 0
    private var totalKnown = false
    private let started = Monotonic.seconds()

    init(root: String, log: Log?) {
        self.root = root
        self.log = log
        reporter = log.map { ProgressReporter(log: $0, label: "fetching", unit: .bytes) }
    }

    mutating func advance(bytes count: UInt64, total: UInt64?) {
        bytes += count
        blocks += 1
        if !totalKnown, let total {
            totalKnown = true
            reporter?.setTotal(Int64(total))
        }
        reporter?.advance(by: Int64(count))
    }

    func finish() {
        reporter?.finish()
        guard let log else { return }
        let seconds = Monotonic.seconds() - started
        guard bytes >= 16 << 20 || seconds >= 2 else { return }
        let rate = Double(bytes) / max(seconds, 1e-3) / 1e6
        let from = gateway.isEmpty ? "" : " from \(gateway)"
        log.info(
            "fetched",
            "fetched \(root): \(Size.human(Int64(bytes))) in \(blocks) blocks\(from) (\(String(format: "%.1f", rate)) MB/s)",
            [
                "cid": .string(root), "bytes": .uint64(bytes), "blocks": .int(blocks), "gateway": .string(gateway),
                "seconds": .double(seconds),
            ])
    }
}
