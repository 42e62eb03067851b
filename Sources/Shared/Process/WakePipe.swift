import Foundation
import Synchronization

/// A pipe that wakes the supervising poll(2): the waiter writes `exited` + the wait status, cancellation
/// writes `cancel`. Writes of at most PIPE_BUF bytes are atomic, so messages never interleave.
final class WakePipe: Sendable {
    static let cancel: UInt8 = 0x63
    static let exited: UInt8 = 0x78

    let readEnd: Int32
    // The write end, or -1 once closed; the lock keeps a late cancellation from writing to a reused descriptor.
    private let writeEnd: Mutex<Int32>

    init() throws(SubprocessError) {
        let (read, write) = try Subprocess.makePipe()
        Subprocess.setNonBlocking(read)
        Subprocess.setNonBlocking(write)
        readEnd = read
        writeEnd = Mutex(write)
    }

    func send(_ bytes: [UInt8]) {
        writeEnd.withLock { fd in
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        }
    }

    func dispose() {
        writeEnd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
        close(readEnd)
    }
}
