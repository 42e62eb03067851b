import Foundation
import Synchronization

/// What every test peer shares: where the Python interpreter and the peer scripts are, how a peer's first stdout
/// line (its announcement: port, CIDs) is awaited with a bound, and the stops that run when the test process exits.
/// `PeerProcess` starts and stops the peers; `SharedPeer` keeps one for a whole test process.
public enum PeerLaunch {
    /// `PRTY_PYTHON`, else `<package root>/.venv/bin/python` (`make deps` creates it).
    public static var python: URL {
        if let path = ProcessInfo.processInfo.environment["PRTY_PYTHON"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Paths.root.appendingPathComponent(".venv/bin/python")
    }

    /// `Tests/TestSupport/peers/<name>`.
    public static func script(_ name: String) -> URL {
        Paths.root.appendingPathComponent("Tests/TestSupport/peers").appendingPathComponent(name)
    }

    // The stops `atExit` registered, run in reverse order by the one atexit handler.
    private static let exitStops = Mutex<[@Sendable () -> Void]>([])

    /// Runs `stop` when the test process exits (for peers that serve the whole process).
    public static func atExit(_ stop: @escaping @Sendable () -> Void) {
        let first = exitStops.withLock { stops in
            stops.append(stop)
            return stops.count == 1
        }
        if first {
            atexit {
                let stops = PeerLaunch.exitStops.withLock { stops in
                    defer { stops = [] }
                    return stops
                }
                for stop in stops.reversed() { stop() }
            }
        }
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
