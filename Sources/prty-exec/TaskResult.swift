import Foundation
import Shared

/// The server's TaskResult (docs/protocol.md, "TaskResult"): what prty-exec writes on stdout, one JSON object,
/// sorted keys. The server fills the identity fields itself; they are sent empty.
struct TaskResult: Sendable, Equatable {
    var id = "00000000-0000-0000-0000-000000000000"
    var taskID: String
    var output = ""
    var error = ""
    var exitCode = 0
    var executionTimeMs: Int64 = 1
    var imageHash = ""
    var commandHash = ""
    /// Whether to send `result_hash` (docker and command tasks).
    var hashed = false
    var cpuSeconds = 0.0
    var memoryGBHours = 0.0
    var storageGB = 0.0
    var networkGB = 0.0
    var estimatedCycles: UInt64 = 0
    var promptTokens: Int?
    var responseTokens: Int?
    var inferenceTimeMs: Int?
    var createdAt = Date()

    /// SHA-256 of `output + error + decimal(exit_code)`, plain concatenation, as the server checks it.
    var resultHash: String {
        Hex.encode(SHA256.hash(Array((output + error + String(exitCode)).utf8)))
    }

    /// SHA-256 of the command array joined by single spaces (empty when there is no command).
    static func commandHash(_ command: [String]) -> String {
        command.isEmpty ? "" : Hex.encode(SHA256.hash(Array(command.joined(separator: " ").utf8)))
    }

    /// A milliseconds count from seconds, at least 1 once any time has passed.
    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 1 }
        return max(1, Int64((seconds * 1000).rounded()))
    }

    var json: JSON {
        var object: [String: JSON] = [
            "id": .string(id), "task_id": .string(taskID), "device_id": "", "runner_address": "",
            "device_id_hash": "", "creator_address": "", "creator_device_id": "", "solver_device_id": "",
            "output": .string(output), "exit_code": .int(exitCode), "execution_time": .int(Int(executionTimeMs)),
            "created_at": .string(Self.timestamp(createdAt)), "reward": .int(0),
            "cpu_seconds": .double(Self.finite(cpuSeconds)), "memory_gb_hours": .double(Self.finite(memoryGBHours)),
            "storage_gb": .double(Self.finite(storageGB)), "network_data_gb": .double(Self.finite(networkGB)),
            "estimated_cycles": .uint64(estimatedCycles),
        ]
        if !error.isEmpty { object["error"] = .string(error) }
        if hashed {
            object["result_hash"] = .string(resultHash)
            object["image_hash_verified"] = .string(imageHash)
            object["command_hash_verified"] = .string(commandHash)
        }
        if let promptTokens { object["prompt_tokens"] = .int(promptTokens) }
        if let responseTokens { object["response_tokens"] = .int(responseTokens) }
        if let inferenceTimeMs { object["inference_time_ms"] = .int(inferenceTimeMs) }
        return .object(object)
    }

    private static func finite(_ value: Double) -> Double { value.isFinite && value >= 0 ? value : 0 }

    /// RFC 3339 UTC with nanosecond-free seconds and milliseconds, as the server parses it.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// A random (version 4) UUID, lowercase: docker results carry one of their own.
    static func randomID() -> String { UUID().uuidString.lowercased() }
}
