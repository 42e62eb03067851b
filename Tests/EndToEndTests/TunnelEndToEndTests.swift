import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

/// The built prty-runner behind the bore server double: it registers the tunnel's public URL, takes webhooks
/// through it, re-registers when the tunnel comes back on a new port, serves /metrics and shows the tunnel in
/// `status`; a tunnel that cannot come up stops it at start.
///
/// The server side is a recording stand-in for the runner-facing API (register 201, heartbeat 200, unregister
/// 200): these tests are about how the server reaches the node, not about tasks. The node's wallet address comes
/// from a stand-in `prty-wallet address` in a private bin directory beside the real binaries.
@Suite(.serialized)
struct TunnelEndToEndTests {
    /// A temporary HOME and state directory, a bin directory with the real prty-runner and stand-in wallet and
    /// exec, and the node process once started.
    final class Node: Sendable {
        let directory: URL
        let bin: URL
        let process = Mutex<PeerProcess?>(nil)
        let stderrPath: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "prty-tunnel-\(UUID().uuidString)")
            bin = directory.appendingPathComponent("bin")
            stderrPath = directory.appendingPathComponent("runner.stderr")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                at: bin.appendingPathComponent("prty-runner"), withDestinationURL: Paths.tool("prty-runner"))
            let wallet = "#!/bin/sh\necho '{\"address\":\"0x00000000000000000000000000000000000000aa\"}'\n"
            let exec = "#!/bin/sh\necho '{\"model_capabilities\":[]}'\n"
            for (name, script) in [("prty-wallet", wallet), ("prty-exec", exec)] {
                let path = bin.appendingPathComponent(name).path
                _ = FileManager.default.createFile(atPath: path, contents: Data(script.utf8))
                chmod(path, 0o755)
            }
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: directory)
        }

        func environment(server: String, _ extra: [String: String]) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            for key in environment.keys where key.hasPrefix("RUNNER_") || key.hasPrefix("PRTY_") {
                environment[key] = nil
            }
            environment["PARITY_CONFIG_PATH"] = nil
            environment["HOME"] = directory.path
            environment["PRTY_BIN_DIR"] = bin.path
            environment["RUNNER_SERVER_URL"] = server
            environment["RUNNER_STATE_DIR"] = directory.appendingPathComponent("state").path
            environment["RUNNER_DEVICE_ID"] = String(repeating: "ab", count: 32)
            environment["RUNNER_WEBHOOK_PORT"] = "0"
            environment["RUNNER_HEARTBEAT_INTERVAL"] = "1s"
            environment["RUNNER_METRICS_ADDR"] = ""
            for (key, value) in extra { environment[key] = value }
            return environment
        }

        /// Starts `prty-runner` (the node) with the test's settings; stderr goes to a file.
        func start(server: String, _ extra: [String: String]) throws {
            let process = try PeerProcess(
                "the prty-runner node", executable: bin.appendingPathComponent("prty-runner"), [],
                environment: environment(server: server, extra), currentDirectory: directory,
                stdout: .file("/dev/null"), stderr: .file(stderrPath.path))
            self.process.withLock { $0 = process }
        }

        var stderr: String { (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? "" }

        /// Waits (at most `timeout` seconds) for the node to exit; its status, or nil if it still runs.
        func wait(_ timeout: Double) -> Int32? { process.withLock { $0 }?.wait(timeout) }

        /// SIGTERM, then (after 20 s) SIGKILL; the exit status (nil when it was never started).
        @discardableResult
        func stop() -> Int32? { process.withLock { $0 }?.stop(grace: 20) }

        func status() throws -> ToolResult {
            try runProcess(
                bin.appendingPathComponent("prty-runner"), ["status"],
                environment: environment(server: "http://x", [:]),
                currentDirectory: directory, timeout: 30)
        }
    }

    /// The runner-facing API, just enough to be joined: every request is recorded.
    static func coordinator() throws -> LocalHTTPServer {
        try LocalHTTPServer { request in
            switch (request.method, request.path) {
            case ("POST", "/api/v1/runners"):
                return .json(#"{"id":0,"device_id":"ab","status":"online"}"#, status: 201)
            case ("POST", "/api/v1/runners/heartbeat"): return .status(200)
            case ("DELETE", "/api/v1/runners/webhooks"): return .json("{}")
            default: return .json(#"{"error":"not found"}"#, status: 404)
            }
        }
    }

    /// Webhook URLs the coordinator was given, in order: registrations and heartbeat `public_ip`s.
    static func registered(_ coordinator: LocalHTTPServer) -> [String] {
        coordinator.requests.filter { $0.method == "POST" && $0.path == "/api/v1/runners" }.compactMap {
            (try? JSONParser.parse([UInt8]($0.body)))?["webhook"]?.stringValue
        }
    }

    static func heartbeatURLs(_ coordinator: LocalHTTPServer) -> [String] {
        coordinator.requests.filter { $0.path == "/api/v1/runners/heartbeat" }.compactMap {
            (try? JSONParser.parse([UInt8]($0.body)))?["public_ip"]?.stringValue
        }
    }

    func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    static func freePort() throws -> Int {
        let probe = try LocalHTTPServer { _ in .status(200) }
        let port = probe.port
        probe.stop()
        return port
    }

    @Test func aNodeBehindTheTunnelIsReachableReRegistersAndIsObservable() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let coordinator = try Self.coordinator()
        defer { coordinator.stop() }
        let node = try Node()
        let metricsPort = try Self.freePort()
        try node.start(
            server: coordinator.baseURL,
            [
                "RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": bore.address,
                "RUNNER_METRICS_ADDR": "127.0.0.1:\(metricsPort)",
            ])
        defer { node.stop() }

        // Registered with the tunnel's URL, never a localhost one.
        #expect(await eventually { !Self.registered(coordinator).isEmpty }, "stderr: \(node.stderr)")
        let first = try #require(Self.registered(coordinator).first)
        #expect(first.hasPrefix("http://127.0.0.1:") && first.hasSuffix("/webhook"))
        #expect(!first.contains("localhost"))

        // An unmodified HTTP client (libcurl) reaches the webhook through the tunnel.
        var doorbell = HTTPRequest.json(.post, first, Data(#"{"type":"hello","payload":{}}"#.utf8))
        doorbell.timeout = 15
        let answer = try await HTTPClient.libcurl.send(doorbell)
        #expect(answer.status == 200 && answer.text.contains("ok"))

        // `status` shows the tunnel.
        #expect(
            await eventually {
                let status = try? node.status()
                let json = status.flatMap { try? JSONParser.parse([UInt8]($0.stdout)) }
                return json?["tunnel"]?["state"] == "up" && json?["tunnel"]?["public_url"]?.stringValue == first
            })

        // The control connection drops and the old port is taken: the node comes back on a new port and
        // re-registers it; heartbeats carry it as public_ip.
        try bore.command("drop")
        #expect(await eventually { Self.registered(coordinator).count >= 2 }, "stderr: \(node.stderr)")
        let second = try #require(Self.registered(coordinator).last)
        #expect(second != first && second.hasSuffix("/webhook"))
        #expect(await eventually { Self.heartbeatURLs(coordinator).last == second })
        var again = doorbell
        again.url = second
        #expect(try await HTTPClient.libcurl.send(again).status == 200)

        // /metrics on RUNNER_METRICS_ADDR.
        let metrics = try await HTTPClient.libcurl.send(HTTPRequest(.get, "http://127.0.0.1:\(metricsPort)/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        #expect(text.contains(#"prty_runner_tunnel_up{type="bore"} 1"#))
        #expect(text.contains("prty_runner_tunnel_reconnects_total 1"))
        #expect(text.contains(#"prty_runner_registrations_total{reason="url_change"} 1"#))
        #expect(text.contains(#"prty_runner_webhook_requests_total{code="200"} 2"#))
        #expect(text.contains("# TYPE prty_runner_task_duration_seconds histogram"))

        // Stops when asked (the runner's shutdown decides between 0 and 130; the tunnel must not hold it up).
        let stopped = node.stop()
        #expect(stopped == 0 || stopped == 130, "stderr: \(node.stderr)")
    }

    /// The parity-server double dispatches a command task to the URL the node registered, the bore double's public
    /// port; after the control connection drops the node re-registers, the double stores the new URL and the next
    /// task arrives through it. The webhook itself listens on 127.0.0.1 only, though RUNNER_WEBHOOK_HOST says all.
    @Test func theCoordinatorReachesTheNodeThroughTheTunnelAndSeesTheNewURL() async throws {
        let bore = try await BoreServerDouble.start()
        defer { bore.stop() }
        let server = try CoordinatorDouble()
        defer { server.stop() }
        let node = try RunnerNode(
            server: server.origin,
            extraEnvironment: [
                "RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": bore.address,
                "RUNNER_WEBHOOK_HOST": "0.0.0.0", "RUNNER_METRICS_ADDR": "",
            ])
        defer { node.remove() }
        _ = try await node.waitUntilRegistered()
        let webhook = { (state: JSON) in state["runners"]?[node.deviceID]?["webhook"]?.stringValue ?? "" }
        let first = webhook(try await server.waitFor("the tunnel's URL") { webhook($0).hasPrefix("http://127.0.0.1:") })
        #expect(node.log.contains("webhook listening on 127.0.0.1:"), "\(node.log)")
        #expect(!node.log.contains("webhook listening on 0.0.0.0"))

        let id = try await server.submitCommand("echo through-the-tunnel")
        _ = try await server.waitFor("the first result") { $0["results"]?[id]?.intValue == 1 }
        let result = try await server.get("/api/v1/tasks/\(id)/result")
        #expect(result["output"]?.stringValue?.contains("through-the-tunnel") == true, "\(result.serialized())")

        try bore.command("drop")
        let moved = try await server.waitFor("the new URL") {
            webhook($0) != first && webhook($0).hasSuffix("/webhook")
        }
        #expect((moved["counts"]?["registrations"]?.intValue ?? 0) >= 2)
        let again = try await server.submitCommand("echo through-the-new-port")
        _ = try await server.waitFor("the second result") { $0["results"]?[again]?.intValue == 1 }
        #expect(node.status()?["tunnel"]?["public_url"]?.stringValue == webhook(try await server.state()))

        let stopped = node.stop(signal: SIGTERM)
        #expect(stopped == 0 || stopped == 130, "\(node.log)")
    }

    @Test func aWrongTunnelSecretStopsTheNodeAtStart() async throws {
        let bore = try await BoreServerDouble.start(secret: "right")
        defer { bore.stop() }
        let coordinator = try Self.coordinator()
        defer { coordinator.stop() }
        let node = try Node()
        try node.start(
            server: coordinator.baseURL,
            [
                "RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": bore.address,
                "RUNNER_TUNNEL_SECRET": "wrong",
            ])
        #expect(node.wait(30) == 78, "stderr: \(node.stderr)")
        let last = node.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("prty-runner: ") && last.contains("RUNNER_TUNNEL_SECRET"))
        #expect(!node.stderr.contains("wrong"))
        #expect(Self.registered(coordinator).isEmpty)
    }

    @Test(arguments: [
        (["RUNNER_TUNNEL_TYPE": "custom"], Int32(78), "RUNNER_PUBLIC_URL"),
        (["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_TYPE": "frp"], Int32(78), "RUNNER_TUNNEL_TYPE"),
        (["RUNNER_METRICS_ADDR": "somewhere"], Int32(78), "RUNNER_METRICS_ADDR"),
    ])
    func badTunnelSettingsStopTheNodeAtStart(_ settings: [String: String], _ status: Int32, _ named: String)
        async throws
    {
        let coordinator = try Self.coordinator()
        defer { coordinator.stop() }
        let node = try Node()
        try node.start(server: coordinator.baseURL, settings)
        #expect(node.wait(30) == status, "stderr: \(node.stderr)")
        let last = node.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("prty-runner: ") && last.contains(named), "\(last)")
        #expect(Self.registered(coordinator).isEmpty)
    }
}
