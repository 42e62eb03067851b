import Foundation
import Shared

/// `prty-exec models`: what this node can serve, for registration. `model_capabilities` rows are the server's
/// shape (`model_name` the exact tag: the server matches names exactly), plus CPUs, memory and GPUs.
struct Models {
    static let command = Command(
        "models", summary: "print the models the LLM backend serves, with CPU, memory and GPUs",
        examples: ["prty-exec models | jq -r '.model_capabilities[].model_name'"],
        discussion: """
            Prints {"model_capabilities":[{"model_name","is_loaded","max_tokens"}],"cpu_count","memory_bytes",\
            "gpus":[{"name","memory_bytes"}]}. With no backend answering, model_capabilities is empty and a \
            warning says why (exit 0): a node without an LLM still registers.
            """)

    let settings: Settings
    let log: Log

    init(_ invocation: Invocation) throws {
        settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        log = invocation.log
    }

    func run() async throws {
        let backend = try LLMBackend.load(settings)
        var rows: [JSON] = []
        do {
            rows = try await backend.capabilities(log: log)
        } catch let error as ExecError {
            log.warning("llm_unavailable", "\(error.description); reporting no models")
        }
        let document: JSON = [
            "model_capabilities": .array(rows),
            "cpu_count": .int(ProcessInfo.processInfo.activeProcessorCount),
            "memory_bytes": .uint64(ProcessInfo.processInfo.physicalMemory),
            "gpus": .array(await Self.gpus()),
        ]
        Tool.writeStdout(document.serialized() + "\n")
    }

    /// `nvidia-smi --query-gpu=name,memory.total` when it is installed; none otherwise.
    static func gpus() async -> [JSON] {
        let process = Subprocess(
            "nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], timeout: 10)
        guard let result = try? await process.run(), result.succeeded else { return [] }
        return result.stdoutText.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let mebibytes = UInt64(parts[1]) else { return nil }
            return ["name": .string(parts[0]), "memory_bytes": .uint64(mebibytes << 20)]
        }
    }
}
