import Foundation
import Shared

/// An llm task: one generation through the configured backend, and a Result carrying the text and the
/// backend's token counts. Counts are never zero toward the server (it rejects zeros): an absent prompt count
/// (a cached prompt) is estimated from the prompt, an absent response count from the streamed pieces. An empty
/// answer is a failure, not a result.
struct LLMTask {
    let spec: ExecTask.LLM
    let backend: LLMBackend
    let firstToken: Double
    let betweenTokens: Double
    let log: Log

    func execute(task: ExecTask) async throws -> TaskResult {
        var result = TaskResult(taskID: task.id)
        let started = Monotonic.seconds()
        func milliseconds() -> Int64 { TaskResult.milliseconds(Monotonic.seconds() - started) }
        do {
            let generation = try await backend.generate(
                spec, firstToken: firstToken, betweenTokens: betweenTokens, log: log)
            let elapsed = milliseconds()
            guard generation.done else {
                throw ExecError.llmFailed("\(backend.name) ended the stream before the generation was done")
            }
            guard !generation.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ExecError.llmFailed("\(backend.name) returned an empty response for model \(spec.model)")
            }
            result.output = generation.text
            var promptTokens = generation.promptTokens ?? 0
            if promptTokens <= 0 {
                let text =
                    spec.prompt + (spec.system ?? "")
                    + (spec.messages ?? []).map { $0["content"]?.stringValue ?? "" }.joined()
                promptTokens = max(1, (text.utf8.count + 3) / 4)
                log.warning(
                    "llm_prompt_tokens",
                    "\(backend.name) sent no prompt token count (a cached prompt?); "
                        + "estimated \(promptTokens) from the prompt's length")
            }
            var responseTokens = generation.responseTokens ?? 0
            if responseTokens <= 0 { responseTokens = max(1, generation.pieces) }
            result.promptTokens = promptTokens
            result.responseTokens = responseTokens
            result.inferenceTimeMs = Int(elapsed)
            result.executionTimeMs = elapsed
            log.info(
                "llm_done",
                "\(spec.model): \(promptTokens) prompt + \(responseTokens) response tokens in \(elapsed) ms",
                [
                    "model": .string(spec.model), "prompt_tokens": .int(promptTokens),
                    "response_tokens": .int(responseTokens),
                ])
        } catch ExecError.llmFailed(let why) {
            result.exitCode = 1
            result.error = why
            result.executionTimeMs = milliseconds()
        } catch let interrupted as InterruptedError {
            result.exitCode = -1
            result.error = "prty-exec was \(interrupted.description); the generation was abandoned"
            result.executionTimeMs = milliseconds()
        }
        return result
    }
}
