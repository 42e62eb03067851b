import Shared
import Testing

@testable import prty_runner

/// The registration/heartbeat machine and the task gate, fed events without sockets or clocks.
struct LifecycleTests {
    @Test func registersThenHeartbeatsAtOnceThenAtTheInterval() {
        var lifecycle = Lifecycle(interval: 30)
        #expect(lifecycle.start() == .register(after: 0))
        #expect(lifecycle.registerAnswered(.status(201, "{}"), jitter: 0) == .heartbeat(after: 0))
        #expect(lifecycle.phase == .registered)
        #expect(lifecycle.heartbeatAnswered(.status(200, ""), jitter: 0) == .heartbeat(after: 30))
        #expect(lifecycle.heartbeatAnswered(.status(200, ""), jitter: 1) == .heartbeat(after: 33))
        #expect(lifecycle.heartbeatAnswered(.status(200, ""), jitter: -1) == .heartbeat(after: 27))
    }

    @Test func registrationFailuresBackOff() {
        var lifecycle = Lifecycle(interval: 30)
        _ = lifecycle.start()
        #expect(lifecycle.registerAnswered(.unreachable("refused"), jitter: 0) == .register(after: 1))
        #expect(lifecycle.registerAnswered(.status(500, "db"), jitter: 0) == .register(after: 2))
        #expect(lifecycle.registerAnswered(.status(500, "db"), jitter: 0) == .register(after: 4))
        for _ in 0..<10 { _ = lifecycle.registerAnswered(.unreachable("x"), jitter: 0) }
        #expect(lifecycle.registerAnswered(.unreachable("x"), jitter: 0) == .register(after: 60))
        #expect(lifecycle.registerAnswered(.status(201, ""), jitter: 0) == .heartbeat(after: 0))
        #expect(lifecycle.failures == 0)
    }

    @Test(arguments: [
        ServerAPI.Reply.status(500, "{\"error\":\"runner not found\"}"), .status(404, "404 page not found"),
    ])
    func forgottenRunnerRegistersAgain(reply: ServerAPI.Reply) {
        var lifecycle = Lifecycle(interval: 30)
        _ = lifecycle.start()
        _ = lifecycle.registerAnswered(.status(201, ""), jitter: 0)
        #expect(lifecycle.heartbeatAnswered(reply, jitter: 0) == .register(after: 0))
        #expect(lifecycle.reregistrations == 1)
        #expect(lifecycle.phase == .registering)
    }

    @Test func heartbeatFailuresBackOffBelowTheInterval() {
        var lifecycle = Lifecycle(interval: 30)
        _ = lifecycle.start()
        _ = lifecycle.registerAnswered(.status(201, ""), jitter: 0)
        #expect(lifecycle.heartbeatAnswered(.status(502, "bad gateway"), jitter: 0) == .heartbeat(after: 1))
        #expect(lifecycle.heartbeatAnswered(.unreachable("refused"), jitter: 0) == .heartbeat(after: 2))
        #expect(lifecycle.heartbeatAnswered(.status(500, "database down"), jitter: 0) == .heartbeat(after: 4))
        for _ in 0..<10 { _ = lifecycle.heartbeatAnswered(.unreachable("x"), jitter: 0) }
        #expect(lifecycle.heartbeatAnswered(.unreachable("x"), jitter: 0) == .heartbeat(after: 30))
        #expect(lifecycle.reregistrations == 0)
    }

    @Test func stopEndsEveryLoop() {
        var lifecycle = Lifecycle(interval: 30)
        _ = lifecycle.start()
        #expect(lifecycle.stop() == .stop)
        #expect(lifecycle.registerAnswered(.status(201, ""), jitter: 0) == .stop)
        #expect(lifecycle.heartbeatAnswered(.status(200, ""), jitter: 0) == .stop)
    }

    @Test func jitterStaysBounded() {
        #expect(Lifecycle.backoff(failures: 1, jitter: .nan) == 1)
        #expect(Lifecycle.backoff(failures: 1, jitter: 5) == 1.2)
        #expect(Lifecycle.backoff(failures: 0, jitter: 0) == 1)
    }

    // MARK: Tasks

    @Test func oneTaskAtATimeDeduplicatedById() {
        var tasks = TaskLifecycle()
        #expect(tasks.offered("a", now: 0) == .accepted)
        #expect(tasks.offered("a", now: 1) == .skipped)  // the duplicate LLM delivery
        #expect(tasks.offered("b", now: 1) == .busy)
        tasks.finished("a", now: 2)
        #expect(tasks.active == nil)
        #expect(tasks.offered("a", now: 3) == .skipped)  // done: kept 24 h
        #expect(tasks.offered("b", now: 3) == .accepted)
    }

    @Test func abandonedTaskMayBeOfferedAgain() {
        var tasks = TaskLifecycle()
        #expect(tasks.offered("a", now: 0) == .accepted)
        tasks.abandoned("a")
        #expect(tasks.offered("a", now: 1) == .accepted)
    }

    @Test func finishedIdsAreForgottenAfterADay() {
        var tasks = TaskLifecycle(finished: ["old": 0, "new": 80_000])
        tasks.sweep(now: 90_000)
        #expect(tasks.finished.keys.sorted() == ["new"])
        #expect(tasks.offered("old", now: 90_000) == .accepted)
    }

    @Test func closedGateTakesNothingNewButStillSkipsKnownIds() {
        var tasks = TaskLifecycle(finished: ["done": 0])
        tasks.close()
        #expect(tasks.offered("new", now: 1) == .closed)
        #expect(tasks.offered("done", now: 1) == .skipped)
    }
}
