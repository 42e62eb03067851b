import Foundation
import Synchronization

/// Progress of long work (bytes fetched, blocks verified, epochs, trees) on stderr, as docs/architecture.md §5's
/// conventions say: a bar redrawn in place only when stderr is a terminal and the log format is human;
/// rate-limited `{"event":"progress",…}` NDJSON events with `--log-format json`; nothing otherwise (a pipe or
/// a file gets no bar). Safe to update from several threads (parallel block fetches, parallel trees).
/// (Not called `Progress`: Foundation has a class of that name.)
///
///     let progress = ProgressReporter(log: invocation.log, label: "fetching", unit: .bytes, total: size)
///     progress.advance(by: Int64(block.count))
///     progress.finish()
public final class ProgressReporter: Sendable {
    public enum Unit: Sendable, Equatable {
        case bytes
        /// Counted things, named in the plural: `.items("epochs")`.
        case items(String)

        var name: String {
            switch self {
            case .bytes: "bytes"
            case .items(let name): name
            }
        }
    }

    public enum Mode: Sendable, Equatable { case bar, events, silent }

    public let mode: Mode
    public let label: String
    public let unit: Unit
    private let tool: String
    private let interval: Double
    private let clock: @Sendable () -> Double
    private let write: @Sendable (String) -> Void
    private let width: Int
    private let state: Mutex<State>

    private struct State {
        var total: Int64?
        var done: Int64 = 0
        var started: Double
        var lastShown = -Double.infinity
        var finished = false
    }

    /// - Parameters:
    ///   - total: the amount of work, when known (else the bar shows only the count and rate).
    ///   - interval: least seconds between two redraws (bar) or two events (JSON); default 0.1 s and 1 s.
    ///   - clock, write, width: for tests; default the monotonic clock, stderr and the terminal's width.
    public init(
        log: Log, label: String, unit: Unit, total: Int64? = nil, interval: Double? = nil,
        clock: (@Sendable () -> Double)? = nil, write: (@Sendable (String) -> Void)? = nil, width: Int? = nil
    ) {
        mode = log.format == .json ? .events : (log.isTerminal ? .bar : .silent)
        tool = log.tool
        self.label = label
        self.unit = unit
        self.interval = interval ?? (mode == .events ? 1 : 0.1)
        let clock = clock ?? Monotonic.seconds
        self.clock = clock
        self.write = write ?? { Log.writeStderr($0) }
        self.width = width ?? ProgressReporter.terminalWidth()
        state = Mutex(State(total: total, started: clock()))
    }

    /// Sets the total once it becomes known (a file's size after its root block).
    public func setTotal(_ total: Int64?) {
        state.withLock { $0.total = total }
    }

    /// Adds `amount` to the work done.
    public func advance(by amount: Int64 = 1) {
        report { $0.done += amount }
    }

    /// Sets the work done.
    public func update(done: Int64) {
        report { $0.done = done }
    }

    /// Shows the final state once: the bar is erased (the tool's own summary line follows), a JSON event with
    /// the final counts is written.
    public func finish() {
        guard mode != .silent else { return }
        let text: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            switch mode {
            case .bar: return state.lastShown.isFinite ? "\r\u{1B}[K" : nil
            case .events: return event(state, now: clock(), final: true)
            case .silent: return nil
            }
        }
        if let text { write(text) }
    }

    private func report(_ change: (inout State) -> Void) {
        let text: String? = state.withLock { state in
            change(&state)
            guard mode != .silent, !state.finished else { return nil }
            let now = clock()
            guard now - state.lastShown >= interval else { return nil }
            state.lastShown = now
            return mode == .bar ? bar(state, now: now) : event(state, now: now, final: false)
        }
        if let text { write(text) }
    }

    // MARK: Rendering

    /// `\r prty-fetch: fetching  42% [########............] 1.1 GiB / 2.6 GiB  31.2 MiB/s  ETA 48s`
    private func bar(_ state: State, now: Double) -> String {
        let elapsed = max(now - state.started, 1e-9)
        let rate = Double(state.done) / elapsed
        var head = "\(tool): \(label)"
        var tail = amount(state.done)
        if let total = state.total, total > 0 {
            let fraction = min(1, max(0, Double(state.done) / Double(total)))
            head +=
                " " + String(repeating: " ", count: 3 - min(3, String(Int(fraction * 100)).count))
                + "\(Int(fraction * 100))%"
            tail += " / " + amount(total)
            if rate > 0 && state.done < total {
                tail += "  ETA " + Self.clockText((Double(total - state.done) / rate).rounded(.up))
            }
            tail = (rate > 0 ? rateText(rate) + "  " : "") + tail
            let room = width - head.count - tail.count - 5
            if room >= 10 {
                let cells = min(room, 40)
                let filled = Int((fraction * Double(cells)).rounded(.down))
                head +=
                    " [" + String(repeating: "#", count: filled)
                    + String(repeating: ".", count: cells - filled) + "]"
            }
        } else if rate > 0 {
            tail += "  " + rateText(rate)
        }
        var line = head + " " + tail
        if line.count > width - 1 { line = String(line.prefix(max(0, width - 1))) }
        return "\r" + line + "\u{1B}[K"
    }

    /// One NDJSON progress event, as `Log` writes events.
    private func event(_ state: State, now: Double, final: Bool) -> String {
        let elapsed = now - state.started
        var fields: [String: JSON] = [
            "ts": .string(Log.timestamp()), "level": "info", "tool": .string(tool), "event": "progress",
            "label": .string(label), "unit": .string(unit.name), "done": .number(JSONNumber(Int(state.done))),
            "elapsed_s": .double((elapsed * 1000).rounded() / 1000), "final": .bool(final),
        ]
        var message = "\(label) \(amount(state.done))"
        if let total = state.total {
            fields["total"] = .number(JSONNumber(Int(total)))
            if total > 0 {
                let percent = (Double(state.done) / Double(total) * 1000).rounded() / 10
                fields["percent"] = .double(percent)
                message += " / \(amount(total))"
            }
        }
        if elapsed > 0 { fields["rate"] = .double((Double(state.done) / elapsed * 10).rounded() / 10) }
        fields["message"] = .string(message)
        return JSON.object(fields).serialized() + "\n"
    }

    private func amount(_ value: Int64) -> String {
        unit == .bytes ? Size.human(value) : "\(value) \(unit.name)"
    }

    private func rateText(_ rate: Double) -> String {
        switch unit {
        case .bytes: return Size.human(Int64(rate)) + "/s"
        case .items(let name):
            let text = rate >= 10 ? String(Int(rate.rounded())) : String((rate * 10).rounded() / 10)
            return "\(text) \(name)/s"
        }
    }

    /// `48s`, `3m05s`, `1h02m`.
    static func clockText(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 360_000 else { return "--" }
        let total = Int(max(0, seconds))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(two(total % 60))s" }
        return "\(total / 3600)h\(two(total % 3600 / 60))m"
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 80
    }
}
