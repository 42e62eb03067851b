import Foundation
import Synchronization

/// One peer for a whole test process (a private dockerd, the LLM): started by the first test that asks, while the
/// others wait, and stopped when the process exits. A start that fails is not remembered: the next test tries again.
///
///     private static let instance = SharedPeer(start: { try DockerDaemon() }, stop: { $0.stop() })
///     public static func shared() throws -> DockerDaemon { try instance.get() }
public final class SharedPeer<Peer: Sendable>: Sendable {
    private let current = Mutex<Peer?>(nil)
    private let start: @Sendable () throws -> Peer
    private let stop: @Sendable (Peer) -> Void

    public init(start: @escaping @Sendable () throws -> Peer, stop: @escaping @Sendable (Peer) -> Void) {
        self.start = start
        self.stop = stop
    }

    /// The running peer, started now if there is none yet.
    public func get() throws -> Peer {
        try current.withLock { current in
            if let current { return current }
            let peer = try start()
            current = peer
            let stop = self.stop
            PeerLaunch.atExit { stop(peer) }
            return peer
        }
    }
}
