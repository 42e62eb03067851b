import Foundation
import Shared

/// What the node owes the server for a finished task, as outbox entries in sending order (docs/protocol.md):
///
/// - every type but llm: the Result to `/runners/tasks/{id}/result`, normalised so the server's binding takes it
///   (`task_id` the task's, `id` only when a UUID, `created_at` RFC 3339, `execution_time` ≥ 1) and a failure
///   is never exit code 0;
/// - federated_learning: then the model update to `/federated-learning/model-updates`, `runner_id` filled and
///   both `training_time_ms` and `training_time`;
/// - llm, success: `/llm/prompts/{id}/complete` with a non-empty response and counts ≥ 1 (the server refuses
///   zeros), then `/runners/tasks/{id}/complete` (best effort) so the stall sweep does not loop the task;
/// - llm, failure: the Result with the error (frees the runner), then `/llm/prompts/{id}/fail` (best effort: the
///   server has no such route yet).
enum PostingRules {
    static func entries(task: JSON, output: Pipeline.Output, deviceID: String) -> [Outbox.Entry] {
        let id = task["id"]?.stringValue ?? ""
        let result = normalise(output.result, taskID: id, deviceID: deviceID)
        let failed = (result["exit_code"]?.intValue ?? 0) != 0 || !(result["error"]?.stringValue ?? "").isEmpty
        switch task["type"]?.stringValue {
        case "llm":
            let response = result["output"]?.stringValue ?? ""
            if failed || response.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                var failedResult = result
                if !failed, case .object(var fields) = failedResult {
                    fields["error"] = "the model returned an empty response"
                    fields["exit_code"] = 1
                    failedResult = .object(fields)
                }
                let reason = failedResult["error"]?.stringValue ?? "llm task failed"
                return [
                    Outbox.Entry(taskID: id, kind: .result, path: "/runners/tasks/\(id)/result", body: failedResult),
                    Outbox.Entry(
                        taskID: id, kind: .llmFail, path: "/llm/prompts/\(id)/fail", body: ["reason": .string(reason)],
                        bestEffort: true),
                ]
            }
            let completion: JSON = [
                "response": .string(response),
                "prompt_tokens": .int(max(1, output.result["prompt_tokens"]?.intValue ?? 0)),
                "response_tokens": .int(max(1, output.result["response_tokens"]?.intValue ?? 0)),
                "inference_time_ms": .int(
                    max(1, output.result["inference_time_ms"]?.intValue ?? result["execution_time"]?.intValue ?? 1)),
            ]
            return [
                Outbox.Entry(taskID: id, kind: .llmComplete, path: "/llm/prompts/\(id)/complete", body: completion),
                Outbox.Entry(
                    taskID: id, kind: .taskComplete, path: "/runners/tasks/\(id)/complete", body: [:], bestEffort: true),
            ]
        default:
            var entries = [Outbox.Entry(taskID: id, kind: .result, path: "/runners/tasks/\(id)/result", body: result)]
            if !failed, case .object(var update)? = output.modelUpdate {
                update["runner_id"] = .string(deviceID)
                entries.append(
                    Outbox.Entry(
                        taskID: id, kind: .modelUpdate, path: "/federated-learning/model-updates", body: .object(update)
                    ))
            }
            return entries
        }
    }

    /// The Result as the server's binding accepts it (docs/protocol.md, TaskResult).
    static func normalise(_ result: JSON, taskID: String, deviceID: String) -> JSON {
        var fields = result.objectValue ?? [:]
        fields["task_id"] = .string(taskID)
        if let id = fields["id"]?.stringValue, !isUUID(id) { fields["id"] = nil }
        if fields["id"]?.stringValue == nil { fields["id"] = nil }
        fields["device_id"] = .string(deviceID)
        fields["runner_address"] = .string(deviceID)
        fields["created_at"] = .string(rfc3339(Date()))
        fields["execution_time"] = .int(max(1, fields["execution_time"]?.intValue ?? 1))
        if fields["output"]?.stringValue == nil { fields["output"] = "" }
        let error = fields["error"]?.stringValue ?? ""
        if error.isEmpty { fields["error"] = nil }
        let exitCode = fields["exit_code"]?.intValue ?? (error.isEmpty ? 0 : 1)
        fields["exit_code"] = .int(!error.isEmpty && exitCode == 0 ? 1 : exitCode)
        if let cycles = fields["estimated_cycles"], cycles.numberValue?.uint64 == nil {
            fields["estimated_cycles"] = nil
        }
        for key in ["cpu_seconds", "memory_gb_hours", "storage_gb", "network_data_gb", "reward"] {
            if let value = fields[key], value.doubleValue == nil { fields[key] = nil }
        }
        return .object(fields)
    }

    static func isUUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
