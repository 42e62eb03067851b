import Foundation
import Synchronization

/// What the Python test peers (gateway double, TLS server) share: where the interpreter is, and how a peer's
/// first stdout line (its announcement: port, CIDs) is awaited with a bound.
public enum PeerLaunch {
    /// `PRTY_PYTHON`, else `<package root>/.venv/bin/python` (`make deps` creates it).
    public static var python: URL {
        if let path = ProcessInfo.processInfo.environment["PRTY_PYTHON"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Paths.root.appendingPathComponent(".venv/bin/python")
    }

    /// The first line `output` carries, without its newline; `nil` if none came within `timeout` seconds
    /// (or the stream ended first). Reads on a thread of its own, so a stalled peer cannot block the caller.
    public static func firstLine(of output: FileHandle, timeout: TimeInterval) -> Data? {
        let line = Mutex<Data?>(nil)
        let announced = DispatchSemaphore(value: 0)
        Thread {
            var buffer = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    line.withLock { $0 = buffer[..<newline] }
                    break
                }
            }
            announced.signal()
        }.start()
        guard announced.wait(timeout: .now() + timeout) == .success else { return nil }
        return line.withLock { $0 }
    }
}
