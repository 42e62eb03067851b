import Foundation
import Shared
import Synchronization

/// What a generation produced: the text and the backend's own counters (nil where the backend sent none).
struct Generation: Sendable, Equatable {
    var text = ""
    var promptTokens: Int?
    var responseTokens: Int?
    /// Streamed pieces that carried text: a fallback count when the backend sends no `eval_count`.
    var pieces = 0
    var done = false
}

/// The generation so far and the clock it runs against, shared by the reader and the watchdog.
private final class Watch: Sendable {
    struct State {
        var generation = Generation()
        var deadline: ContinuousClock.Instant
        var started = false
    }
    let state: Mutex<State>
    init(deadline: ContinuousClock.Instant) { state = Mutex(State(deadline: deadline)) }
}

/// Opens and reads a streamed generation line by line under two clocks: a long one for the first token (a cold model load
/// happens there) and a shorter one between tokens. A stall, or SIGINT/SIGTERM, abandons the request, which
/// closes the connection: Ollama and llama.cpp stop generating when their client goes away.
enum TokenStream {
    /// Feeds each line to `handle`, which updates the generation and says whether text arrived.
    static func read(
        open: @escaping @Sendable () async throws -> HTTPStreamingResponse, firstToken: Double,
        betweenTokens: Double, backend: String,
        handle: @escaping @Sendable (String, inout Generation) throws -> Bool
    ) async throws -> Generation {
        let watch = Watch(deadline: .now + .milliseconds(Int(min(firstToken, 1e7) * 1000)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {  // opening counts toward the first token: a loading model may not even send headers
                let response = try await open()
                for try await line in response.body.lines where !line.isEmpty {
                    try watch.state.withLock { state in
                        if try handle(line, &state.generation) {
                            state.started = true
                            state.deadline = .now + .milliseconds(Int(min(betweenTokens, 1e7) * 1000))
                        }
                    }
                    if watch.state.withLock({ $0.generation.done }) { return }
                }
            }
            group.addTask {
                while true {
                    let (deadline, started) = watch.state.withLock { ($0.deadline, $0.started) }
                    if ContinuousClock.now >= deadline {
                        throw ExecError.llmFailed(
                            started
                                ? "\(backend) sent no token for \(GoDuration.format(seconds: betweenTokens)) "
                                    + "(RUNNER_LLM_TOKEN_TIMEOUT); generation abandoned"
                                : "\(backend) sent no first token within \(GoDuration.format(seconds: firstToken)) "
                                    + "(RUNNER_LLM_FIRST_TOKEN_TIMEOUT); generation abandoned")
                    }
                    try await Task.sleep(until: min(deadline, .now + .milliseconds(100)), clock: .continuous)
                    try Interruption.check()
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
        return watch.state.withLock { $0.generation }
    }
}
