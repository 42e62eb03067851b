import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

@testable import prty_runner

/// The native bore client against the bore server double (bore's wire protocol, in Python), with an unmodified
/// HTTP client (libcurl) reaching a local HTTP server through the tunnel.
@Suite(.serialized)
struct BoreClientTests {
    /// Short bounds so drops are seen within a second or two.
    func config(_ bore: BoreServerDouble, _ local: LocalHTTPServer, secret: String? = nil) -> BoreConfig {
        BoreConfig(
            host: "127.0.0.1", controlPort: UInt16(bore.controlPort), secret: secret, localPort: UInt16(local.port),
            heartbeatTimeout: 2, idleTimeout: 2, connectionLifetime: 30, backoffBase: 0.05, backoffMax: 0.5)
    }

    static func echo() throws -> LocalHTTPServer {
        try LocalHTTPServer { request in .text("hello \(request.method) \(request.path) \(request.text)") }
    }

    func post(_ url: String, _ body: String = "{}") async throws -> HTTPResponse {
        var request = HTTPRequest.json(.post, url, Data(body.utf8))
        request.timeout = 15
        return try await HTTPClient.live.send(request)
    }

    /// Polls `condition` every 20 ms for at most `seconds`.
    func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) async rethrows -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    @Test func aWebhookRequestGoesThroughTheTunnel() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        let client = BoreClient(config: config(bore, local))
        let url = try await client.start(timeout: 10)
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/webhook"))
        #expect(client.current.state == .up && client.current.publicURL == url)

        let response = try await post(url, #"{"type":"available_tasks"}"#)
        #expect(response.status == 200)
        #expect(response.text == #"hello POST /webhook {"type":"available_tasks"}"#)

        // Several at once, each on its own proxied connection.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 { group.addTask { try await post(url, "\(index)").status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(client.current.proxiedConnections >= 9)
        await client.stop()
        #expect(client.current.state == .stopped)
        #expect(try await eventually { try bore.stats()["clients"] == 0 })
    }

    @Test func theRightSecretIsAccepted() async throws {
        let bore = try await BoreServerDouble.start(secret: "s3cret")
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        let client = BoreClient(config: config(bore, local, secret: "s3cret"))
        let url = try await client.start(timeout: 10)
        #expect(try await post(url).status == 200)
        #expect(try bore.stats()["auth_failures"] == 0)
        await client.stop()
    }

    @Test func aWrongSecretIsAClearErrorWithoutRetrying() async throws {
        let bore = try await BoreServerDouble.start(secret: "s3cret")
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        let started = ContinuousClock.now
        await #expect {
            _ = try await BoreClient(config: config(bore, local, secret: "wrong")).start(timeout: 10)
        } throws: { error in
            guard case .secret(let message) = error as? TunnelError else { return false }
            return message.contains("refused RUNNER_TUNNEL_SECRET") && !message.contains("wrong")
                && (error as? TunnelError)?.exitStatus == .config
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try bore.stats()["auth_failures"] == 1)

        await #expect {
            _ = try await BoreClient(config: config(bore, local)).start(timeout: 10)
        } throws: { error in
            "\(error)".contains("requires a secret; set RUNNER_TUNNEL_SECRET")
        }
    }

    @Test func aSecretForAnOpenServerIsRefused() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        await #expect {
            _ = try await BoreClient(config: config(bore, local, secret: "s3cret")).start(timeout: 10)
        } throws: { error in
            "\(error)".contains("does not ask for a secret")
        }
    }

    @Test func anUnreachableServerFailsWithinTheStartBound() async throws {
        let local = try Self.echo()
        defer { local.stop() }
        let config = BoreConfig(
            host: "127.0.0.1", controlPort: 1, localPort: UInt16(local.port), backoffBase: 0.05, backoffMax: 0.2)
        let started = ContinuousClock.now
        await #expect {
            _ = try await BoreClient(config: config).start(timeout: 1)
        } throws: { error in
            (error as? TunnelError)?.exitStatus == .unavailable && "\(error)".contains("RUNNER_TUNNEL_SERVER_URL")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aDroppedControlConnectionComesBackOnANewPortAndSaysSo() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        let changes = Mutex<[String]>([])
        let client = BoreClient(
            config: config(bore, local), onURLChange: { url in changes.withLock { $0.append(url) } })
        let first = try await client.start(timeout: 10)

        try bore.command("drop")  // the old port stays taken: the client must move
        #expect(await eventually { changes.withLock { !$0.isEmpty } })
        let second = try #require(changes.withLock { $0.first })
        #expect(second != first)
        #expect(client.current.publicURL == second && client.current.reconnects == 1)
        #expect(try await post(second).status == 200)
        await client.stop()
    }

    @Test func aServerRestartKeepsTheSameURL() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        let changes = Mutex(0)
        let client = BoreClient(config: config(bore, local), onURLChange: { _ in changes.withLock { $0 += 1 } })
        let url = try await client.start(timeout: 10)
        try bore.command("restart")
        #expect(await eventually { client.current.reconnects == 1 && client.current.state == .up })
        #expect(client.current.publicURL == url)
        #expect(changes.withLock { $0 } == 0)
        #expect(try await post(url).status == 200)
        await client.stop()
    }

    @Test func heartbeatSilenceAndServerErrorsAreDrops() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        var fast = config(bore, local)
        fast.heartbeatTimeout = 1
        let client = BoreClient(config: fast)
        let url = try await client.start(timeout: 10)

        try bore.command("mute")
        #expect(await eventually { client.current.reconnects >= 1 })
        if case .down(let reason) = client.current.state { #expect(reason.contains("no heartbeat")) }
        try bore.command("unmute")
        #expect(await eventually { client.current.state == .up })

        let before = client.current.reconnects
        try bore.command("error maintenance")
        #expect(await eventually { client.current.reconnects > before && client.current.state == .up })
        #expect(try await post(client.current.publicURL ?? url).status == 200)
        await client.stop()
    }

    /// Clients that connect through the tunnel and send nothing are closed after the idle bound; they cannot hold
    /// the node: a real request made meanwhile (even with every slot taken) is answered.
    @Test func slowProxiedClientsCannotPinTheNode() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let local = try Self.echo()
        defer { local.stop() }
        var bounded = config(bore, local)
        bounded.maxConnections = 3
        bounded.idleTimeout = 1
        let client = BoreClient(config: bounded)
        let url = try await client.start(timeout: 10)
        let port = try #require(client.current.port)

        let slow = try (0..<3).map { _ in
            try TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 3)
        }
        try slow[0].write(Array("POST /webhook HTTP/1.1\r\nHost: x\r\n".utf8))  // a header that never ends
        #expect(await eventually(5) { client.current.activeConnections == 3 })

        let started = ContinuousClock.now
        #expect(try await post(url).status == 200)
        #expect(ContinuousClock.now - started < .seconds(10))

        // Every slow connection was ended by the node (end of stream, or the public side closed).
        for socket in slow {
            var buffer = [UInt8](repeating: 0, count: 64)
            var ended = false
            let end = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < end {
                guard let count = try? socket.read(into: &buffer, timeout: 1) else { continue }
                if count == 0 {
                    ended = true
                    break
                }
            }
            #expect(ended)
        }
        #expect(await eventually(5) { client.current.activeConnections == 0 })
        await client.stop()
    }
}
