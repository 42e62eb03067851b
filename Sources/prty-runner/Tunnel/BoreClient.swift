import Foundation
import Shared
import Synchronization

/// The bore client, native: keeps a public port on a bore server forwarded to the node's webhook for as long as
/// it runs. `start` returns once the first control connection is up (or throws a clear error); from then on any
/// drop (connection closed, heartbeat silence, a server error) is followed by reconnects with exponential back-off
/// and jitter. A reconnect asks for the same public port first, so the webhook URL usually survives a server
/// restart; when the URL does change, `onURLChange` is called so the runner re-registers it.
final class BoreClient: Sendable {
    let config: BoreConfig
    private let log: Log?
    private let onURLChange: @Sendable (String) -> Void
    private let onStateChange: @Sendable (TunnelStatus) -> Void
    private let sleep: @Sendable (Double) async throws -> Void
    private let status = Mutex(TunnelStatus(kind: .bore))
    private let task = Mutex<Task<Void, Never>?>(nil)
    let proxies: BoreProxies

    init(
        config: BoreConfig, log: Log? = nil,
        sleep: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
        onURLChange: @escaping @Sendable (String) -> Void = { _ in },
        onStateChange: @escaping @Sendable (TunnelStatus) -> Void = { _ in }
    ) {
        self.config = config
        self.log = log
        self.sleep = sleep
        self.onURLChange = onURLChange
        self.onStateChange = onStateChange
        self.proxies = BoreProxies(log: log)
    }

    /// The tunnel's state now, for `status`, the logs and `/metrics`.
    var current: TunnelStatus {
        var copy = status.withLock { $0 }
        copy.activeConnections = proxies.active
        copy.rejectedConnections = proxies.rejectedCount
        copy.proxiedConnections = proxies.acceptedCount
        return copy
    }

    /// Connects (retrying with back-off for at most `timeout` seconds) and returns the public webhook URL. A wrong
    /// secret or a port the server does not allow fails at once: no retry can mend them.
    func start(timeout: Double = 30) async throws(TunnelError) -> String {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var attempt = 0
        while true {
            do {
                let session = try await openSession()
                let url = up(session)
                task.withLock { $0 = Task { await self.keepUp(session) } }
                return url
            } catch {
                status.withLock { $0.state = .down(error.description) }
                if error.isFatal { throw error }
                let delay = backoff(attempt)
                attempt += 1
                guard ContinuousClock.now + .seconds(delay) < deadline else {
                    throw .timedOut(
                        "the bore tunnel to \(config.host):\(config.controlPort) did not come up within "
                            + "\(Int(timeout)) s: \(error) (check RUNNER_TUNNEL_SERVER_URL)")
                }
                log?.warning(
                    "tunnel_retry", "tunnel: \(error); trying again in \(String(format: "%.1f", delay)) s",
                    ["error": .string(error.description), "delay_s": .double(delay)])
                do { try await sleep(delay) } catch { throw .closed("the tunnel was stopped while starting") }
            }
        }
    }

    /// Stops reconnecting and ends the control connection and every proxied connection.
    func stop() async {
        let running = task.withLock { current -> Task<Void, Never>? in
            defer { current = nil }
            return current
        }
        proxies.stopAll()
        running?.cancel()
        await running?.value
        status.withLock { $0.state = .stopped }
    }

    // MARK: The loop

    private func keepUp(_ first: BoreSession) async {
        var session: BoreSession? = first
        var attempt = 0
        while !Task.isCancelled {
            if let live = session {
                let reason = await serve(live)
                if Task.isCancelled { break }
                session = nil
                attempt = 0
                status.withLock {
                    $0.state = .down(reason.description)
                    $0.reconnects += 1
                }
                onStateChange(current)
                log?.warning(
                    "tunnel_down", "tunnel: down (\(reason)); reconnecting",
                    ["error": .string(reason.description)])
            }
            let delay = backoff(attempt)
            attempt += 1
            do { try await sleep(delay) } catch { break }
            do {
                let next = try await openSession()
                _ = up(next)
                session = next
            } catch {
                status.withLock { $0.state = .down(error.description) }
                onStateChange(current)
                log?.warning(
                    "tunnel_retry",
                    "tunnel: still down (\(error))\(error.isFatal ? "; fix the setting, the node keeps trying" : "")",
                    ["error": .string(error.description)])
            }
        }
    }

    /// Serves one control connection until it ends; cancelling the task ends it at once.
    private func serve(_ session: BoreSession) async -> TunnelError {
        await withTaskCancellationHandler {
            (try? await offload { session.run() }) ?? .closed("stopped")
        } onCancel: {
            session.stop()
        }
    }

    /// One control connection: the configured port, else the one held before (so the URL stays the same),
    /// falling back to any port when that one is taken.
    private func openSession() async throws(TunnelError) -> BoreSession {
        let previous = status.withLock { $0.port }
        let wanted = config.requestedPort != 0 ? config.requestedPort : previous ?? 0
        do {
            return try await Self.open(config, port: wanted, proxies: proxies)
        } catch .server(let message) where wanted != 0 && config.requestedPort == 0 {
            log?.info(
                "tunnel_port_changed", "tunnel: port \(wanted) is no longer free (\(message)); asking for any port")
            return try await Self.open(config, port: 0, proxies: proxies)
        }
    }

    private static func open(_ config: BoreConfig, port: UInt16, proxies: BoreProxies) async throws(TunnelError)
        -> BoreSession
    {
        do {
            return try await offload { try BoreSession.open(config, port: port, proxies: proxies) }
        } catch let error as TunnelError {
            throw error
        } catch {
            throw .closed("\(error)")
        }
    }

    /// Records a session that came up; calls `onURLChange` when its URL differs from the last one.
    private func up(_ session: BoreSession) -> String {
        let url = config.publicURL(port: session.port)
        let changed = status.withLock { status -> Bool in
            let changed = status.publicURL != nil && status.publicURL != url
            status.state = .up
            status.publicURL = url
            status.port = session.port
            return changed
        }
        log?.info(
            "tunnel_up", "tunnel: up at \(url)\(changed ? " (new URL)" : "")",
            ["url": .string(url), "changed": .bool(changed)])
        onStateChange(current)
        if changed { onURLChange(url) }
        return url
    }

    /// `backoffBase` × 2^attempt, capped at `backoffMax`, times a random factor in [0.5, 1) so that nodes dropped
    /// together (a bore.pub restart) do not all come back in the same instant.
    func backoff(_ attempt: Int) -> Double {
        let ceiling = min(config.backoffMax, config.backoffBase * pow(2, Double(min(attempt, 30))))
        return ceiling * Double.random(in: 0.5..<1)
    }
}
