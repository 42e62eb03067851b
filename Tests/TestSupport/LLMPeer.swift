import Foundation
import Synchronization

/// A real LLM for the tests (`peers/llm_server.py`): SmolLM2-135M through llama.cpp (PyPI xllamacpp), serving
/// llama.cpp's OpenAI API and our Ollama API over the same loaded model, both on 127.0.0.1 ports the OS picks.
/// Model names `busy-once`, `midstream-error`, `stall`, `nocount` and `empty` select test behaviours (see the
/// script). One peer serves a test process (started on first use, stopped at exit); a missing interpreter,
/// package or model makes `shared()` throw: the test fails, it is never skipped.
public final class LLMPeer: Sendable {
    public let ollama: String
    public let openai: String
    public let model: String
    private let pid: Int32

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private struct Announcement: Decodable {
        let ollama: String
        let openai: String
        let model: String
    }

    private static let instance = Mutex<LLMPeer?>(nil)
    private static let starting = Mutex(false)

    public static func shared() throws -> LLMPeer {
        while true {
            if let peer = instance.withLock({ $0 }) { return peer }
            let mine = starting.withLock { busy -> Bool in
                if busy { return false }
                busy = true
                return true
            }
            if mine { break }
            usleep(50_000)
        }
        defer { starting.withLock { $0 = false } }
        let peer = try LLMPeer()
        instance.withLock { $0 = peer }
        atexit { LLMPeer.instance.withLock { $0 }?.stop() }
        return peer
    }

    private init(timeout: TimeInterval = 180) throws {
        let python = PeerLaunch.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw StartError(description: "no Python at \(python.path): run 'make deps' or set PRTY_PYTHON")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [
            Paths.root.appendingPathComponent("Tests/TestSupport/peers/llm_server.py").path, "--port", "0",
        ]
        let output = Pipe()
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("prty-llm-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard let line = PeerLaunch.firstLine(of: output.fileHandleForReading, timeout: timeout),
            let announcement = try? JSONDecoder().decode(Announcement.self, from: line)
        else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw StartError(description: "the LLM peer did not start:\n\(text.suffix(3000))")
        }
        ollama = announcement.ollama
        openai = announcement.openai
        model = announcement.model
        pid = process.processIdentifier
    }

    public func stop() {
        guard kill(pid, SIGTERM) == 0 else { return }
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        while Date() < deadline && waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}
