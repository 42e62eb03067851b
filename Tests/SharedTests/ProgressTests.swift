import Synchronization
import Testing

@testable import Shared

struct ProgressTests {
    /// A clock the test moves by hand, and a sink for what would go to stderr.
    final class Harness: Sendable {
        let now = Mutex(100.0)
        let written = Mutex([String]())
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
        var lines: [String] { written.withLock { $0 } }

        func reporter(_ log: Log, unit: ProgressReporter.Unit = .bytes, total: Int64? = nil) -> ProgressReporter {
            ProgressReporter(
                log: log, label: "fetching", unit: unit, total: total,
                clock: { self.now.withLock { $0 } }, write: { text in self.written.withLock { $0.append(text) } },
                width: 100)
        }
    }

    @Test func modeFollowsFormatAndTerminal() {
        let harness = Harness()
        #expect(harness.reporter(Log(tool: "t", format: .human, isTerminal: true)).mode == .bar)
        #expect(harness.reporter(Log(tool: "t", format: .human, isTerminal: false)).mode == .silent)
        #expect(harness.reporter(Log(tool: "t", format: .json, isTerminal: true)).mode == .events)
        #expect(harness.reporter(Log(tool: "t", format: .json, isTerminal: false)).mode == .events)
    }

    @Test func silentWhenStderrIsNotATerminal() {
        let harness = Harness()
        let progress = harness.reporter(Log(tool: "prty-fetch", format: .human, isTerminal: false), total: 10)
        for _ in 0..<10 {
            harness.advance(1)
            progress.advance()
        }
        progress.finish()
        #expect(harness.lines.isEmpty)
    }

    @Test func barIsRedrawnInPlaceAndErasedAtTheEnd() throws {
        let harness = Harness()
        let progress = harness.reporter(Log(tool: "prty-fetch", isTerminal: true), total: 4 << 20)
        harness.advance(1)
        progress.advance(by: 1 << 20)
        let first = try #require(harness.lines.last)
        #expect(first.hasPrefix("\rprty-fetch: fetching  25% [##########..............................]"))
        #expect(first.hasSuffix("1 MiB/s  1 MiB / 4 MiB  ETA 3s\u{1B}[K"))
        #expect(first.count <= 100 + 4)
        progress.advance(by: 1024)  // within 0.1 s of the last redraw: not drawn
        #expect(harness.lines.count == 1)
        harness.advance(1)
        progress.update(done: 3 << 20)
        #expect(harness.lines.count == 2)
        #expect(harness.lines[1].contains(" 75% ["))
        progress.finish()
        progress.finish()
        #expect(harness.lines.last == "\r\u{1B}[K")
        #expect(harness.lines.count == 3)
        progress.advance()  // after finish: nothing
        #expect(harness.lines.count == 3)
    }

    @Test func barWithoutTotalShowsCountAndRate() throws {
        let harness = Harness()
        let progress = harness.reporter(Log(tool: "prty-train", isTerminal: true), unit: .items("trees"))
        harness.advance(2)
        progress.advance(by: 5)
        #expect(harness.lines == ["\rprty-train: fetching 5 trees  2.5 trees/s\u{1B}[K"])
    }

    @Test func jsonEventsAreRateLimitedAndEndWithAFinalOne() throws {
        let harness = Harness()
        let progress = harness.reporter(Log(tool: "prty-fetch", format: .json), unit: .items("blocks"), total: 10)
        progress.advance()  // t = 0: shown (the first event)
        for _ in 0..<4 {
            harness.advance(0.25)
            progress.advance()
        }  // t = 1.0: shown again
        harness.advance(0.1)
        progress.advance()
        progress.finish()
        #expect(harness.lines.count == 3)
        let events = try harness.lines.map { try JSONParser.parse($0) }
        #expect(events.map { $0["event"] } == ["progress", "progress", "progress"])
        #expect(events.map { $0["done"]?.intValue } == [1, 5, 6])
        #expect(events.map { $0["final"]?.boolValue } == [false, false, true])
        let last = try #require(events.last)
        #expect(last["tool"] == "prty-fetch")
        #expect(last["level"] == "info")
        #expect(last["unit"] == "blocks")
        #expect(last["total"]?.intValue == 10)
        #expect(last["percent"]?.doubleValue == 60)
        #expect(last["message"] == "fetching 6 blocks / 10 blocks")
        #expect(last["ts"]?.stringValue?.hasSuffix("Z") == true)
        #expect(harness.lines.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
    }

    @Test func updatesFromManyThreadsAddUp() async {
        let harness = Harness()
        let progress = harness.reporter(Log(tool: "t", format: .json), unit: .items("blocks"), total: 8000)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { progress.advance() } } }
        }
        progress.finish()
        let final = try? JSONParser.parse(harness.lines.last ?? "")
        #expect(final?["done"]?.intValue == 8000)
    }

    @Test func clockText() {
        #expect(ProgressReporter.clockText(48) == "48s")
        #expect(ProgressReporter.clockText(185) == "3m05s")
        #expect(ProgressReporter.clockText(3720) == "1h02m")
        #expect(ProgressReporter.clockText(.infinity) == "--")
    }
}
