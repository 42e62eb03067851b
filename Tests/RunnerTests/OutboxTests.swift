import Foundation
import Shared
import Synchronization
import Testing

@testable import prty_runner

/// The durable outbox: what survives a restart, ordering, verdicts, dead letters, uniqueness.
struct OutboxTests {
    func scratch() -> String {
        let path = NSTemporaryDirectory() + "prty-outbox-\(UUID().uuidString)"
        return path
    }

    func entry(_ task: String, _ kind: Outbox.Kind = .result, bestEffort: Bool = false) -> Outbox.Entry {
        Outbox.Entry(
            taskID: task, kind: kind, path: "/runners/tasks/\(task)/\(kind.rawValue)", body: ["t": .string(task)],
            bestEffort: bestEffort)
    }

    @Test func entriesSurviveARestartInOrderAndOnce() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Outbox(stateDir: dir)
        try await first.enqueue([entry("a"), entry("a", .modelUpdate), entry("b")])
        try await first.enqueue([entry("a")])  // same task and kind: not written twice
        #expect(await first.depth == 3)
        let second = try Outbox(stateDir: dir)  // a new process after a crash
        #expect(
            await second.pending.map { "\($0.taskID)/\($0.kind.rawValue)" } == [
                "a/result", "a/model-update", "b/result",
            ])
        let sent = Mutex<[String]>([])
        let outcome = await second.deliver(with: { entry in
            sent.withLock { $0.append(entry.taskID + "/" + entry.kind.rawValue) }
            return .status(200, "")
        })
        #expect(outcome.sent == 3 && !outcome.mustRetry)
        #expect(sent.withLock { $0 } == ["a/result", "a/model-update", "b/result"])
        #expect(await (try Outbox(stateDir: dir)).pending.isEmpty)
    }

    @Test func concurrentPassesSendEachEntryOnce() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outbox = try Outbox(stateDir: dir)
        try await outbox.enqueue([entry("a"), entry("b")])
        let sent = Mutex<[String]>([])
        let send: @Sendable (Outbox.Entry) async -> ServerAPI.Reply = { entry in
            sent.withLock { $0.append(entry.taskID) }
            try? await Task.sleep(for: .milliseconds(50))  // the actor is re-entered while this waits
            return .status(200, "")
        }
        async let first = outbox.deliver(with: send)
        async let second = outbox.deliver(with: send)
        _ = await (first, second)
        #expect(sent.withLock { $0 } == ["a", "b"])
        #expect(await outbox.depth == 0)
    }

    @Test func temporaryFailureStopsThePassAndKeepsTheEntry() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outbox = try Outbox(stateDir: dir)
        try await outbox.enqueue([entry("a"), entry("b")])
        let calls = Mutex(0)
        let outcome = await outbox.deliver(with: { _ in
            calls.withLock { $0 += 1 }
            return .unreachable("connection refused")
        })
        #expect(outcome.mustRetry && outcome.sent == 0)
        #expect(calls.withLock { $0 } == 1)
        #expect(await outbox.depth == 2)
    }

    @Test func permanentRefusalIsADeadLetterWithItsReason() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outbox = try Outbox(stateDir: dir)
        try await outbox.enqueue([entry("a"), entry("b")])
        let outcome = await outbox.deliver(with: { entry in
            entry.taskID == "a"
                ? .status(403, "{\"error\":\"task is assigned to a different runner\"}") : .status(200, "")
        })
        #expect(outcome.sent == 2 && !outcome.mustRetry)
        let dead = await outbox.deadLetters
        #expect(dead.count == 1 && dead[0].contains("-a-result"))
        let text = try String(contentsOfFile: dir + "/dead/" + dead[0], encoding: .utf8)
        #expect(text.contains("different runner"))
    }

    @Test(arguments: [
        (ServerAPI.Reply.status(200, ""), Outbox.Verdict.delivered), (.status(201, ""), .delivered),
        (.status(500, "x"), .retry), (.status(503, "x"), .retry), (.status(408, "x"), .retry),
        (.status(429, "x"), .retry),
        (.unreachable("refused"), .retry), (.status(400, "bad"), .dead("HTTP 400: bad")),
        (.status(404, ""), .dead("HTTP 404")),
    ])
    func verdicts(reply: ServerAPI.Reply, verdict: Outbox.Verdict) {
        #expect(
            Outbox.verdict(for: reply, entry: entry("a"), now: Date().timeIntervalSince1970, maxAge: 3600) == verdict)
    }

    @Test func bestEffortCallsAreDroppedOnAnyAnswerButRetriedWithoutOne() {
        let fail = entry("a", .llmFail, bestEffort: true)
        #expect(Outbox.verdict(for: .status(404, ""), entry: fail, now: 0, maxAge: 10) == .dropped("HTTP 404"))
        #expect(Outbox.verdict(for: .status(500, ""), entry: fail, now: 0, maxAge: 10) == .dropped("HTTP 500"))
        #expect(Outbox.verdict(for: .unreachable("x"), entry: fail, now: 0, maxAge: 1e12) == .retry)
    }

    @Test func entriesFailingTooLongBecomeDeadLetters() {
        var old = entry("a")
        old.createdAt = 0
        #expect(
            Outbox.verdict(for: .status(500, "x"), entry: old, now: 100, maxAge: 10)
                == .dead("still failing after 10s: HTTP 500: x"))
    }

    @Test func leftoverTemporaryAndUnreadableFilesAreHandled() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/outbox", withIntermediateDirectories: true)
        try "half".write(toFile: dir + "/outbox/.x.json.123.tmp", atomically: false, encoding: .utf8)
        try "{broken".write(toFile: dir + "/outbox/0000000000000001-a-result.json", atomically: false, encoding: .utf8)
        let outbox = try Outbox(stateDir: dir)
        #expect(await outbox.depth == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/outbox/.x.json.123.tmp"))
        #expect(await outbox.deadLetters == ["0000000000000001-a-result.json.unreadable"])
    }
}
