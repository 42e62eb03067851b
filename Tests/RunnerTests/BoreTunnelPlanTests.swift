import Foundation
import Shared
import Testing

@testable import prty_runner

/// How the settings choose the tunnel (docs/tunnel.md's table), and the ngrok agent's answer.
struct BoreTunnelPlanTests {
    func plan(_ environment: [String: String], port: Int = 8081) throws -> TunnelPlan {
        try TunnelPlan.resolve(Settings(environment: environment), webhookPort: port)
    }

    @Test func defaultsAreLocalOnEveryInterface() throws {
        let plan = try plan([:])
        #expect(plan.mode == .local(host: "127.0.0.1"))
        #expect(plan.fixedURL(port: 8081) == "http://127.0.0.1:8081/webhook")
        #expect(plan.listenHost("0.0.0.0") == "0.0.0.0" && plan.listenHost("10.0.0.2") == "10.0.0.2")
        #expect(
            try self.plan(["RUNNER_PUBLIC_HOST": "203.0.113.7"]).fixedURL(port: 9) == "http://203.0.113.7:9/webhook")
        #expect(
            try self.plan(["RUNNER_PUBLIC_HOST": "2001:db8::1"]).fixedURL(port: 9) == "http://[2001:db8::1]:9/webhook")
        #expect(
            try self.plan(["RUNNER_PUBLIC_HOST": "[2001:db8::1]"]).fixedURL(port: 9) == "http://[2001:db8::1]:9/webhook"
        )
        #expect(
            try self.plan(["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_TYPE": "local"]).kind == .local)
    }

    @Test func boreByDefaultWhenEnabledAndLoopbackOnly() throws {
        let plan = try plan(["RUNNER_TUNNEL_ENABLED": "true"])
        #expect(plan.mode == .bore(BoreConfig(host: "bore.pub", localPort: 8081)))
        #expect(plan.listenHost("0.0.0.0") == "127.0.0.1" && plan.loopbackOnly)
        #expect(plan.listening(on: 40000).mode == .bore(BoreConfig(host: "bore.pub", localPort: 40000)))
        let custom = try self.plan([
            "RUNNER_TUNNEL_ENABLED": "yes", "RUNNER_TUNNEL_SERVER_URL": "tcp://tunnel.example.org:9000/",
            "RUNNER_TUNNEL_PORT": "41234", "RUNNER_TUNNEL_SECRET": "s3cret",
        ])
        #expect(
            custom.mode
                == .bore(
                    BoreConfig(
                        host: "tunnel.example.org", controlPort: 9000, requestedPort: 41234, secret: "s3cret",
                        localPort: 8081)))
        let v6 = try self.plan(["RUNNER_TUNNEL_ENABLED": "1", "RUNNER_TUNNEL_SERVER_URL": "[::1]:7000"])
        guard case .bore(let config) = v6.mode else {
            Issue.record("expected bore")
            return
        }
        #expect(config.host == "::1" && config.controlPort == 7000)
        #expect(config.publicURL(port: 5) == "http://[::1]:5/webhook")
    }

    @Test func customAndNgrok() throws {
        let custom = try plan(["RUNNER_TUNNEL_TYPE": "custom", "RUNNER_PUBLIC_URL": "https://node.example.org/"])
        #expect(custom.mode == .custom(url: "https://node.example.org/webhook"))
        #expect(custom.fixedURL(port: 1) == "https://node.example.org/webhook" && !custom.loopbackOnly)
        #expect(
            try plan(["RUNNER_PUBLIC_URL": "https://node.example.org/hooks/prty"]).mode
                == .custom(url: "https://node.example.org/hooks/prty"))
        let ngrok = try plan(["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_TYPE": "ngrok"])
        #expect(ngrok.mode == .ngrok(api: "http://127.0.0.1:4040/api/tunnels"))
        #expect(ngrok.listenHost("0.0.0.0") == "127.0.0.1")
    }

    @Test(arguments: [
        (["RUNNER_TUNNEL_TYPE": "custom"], "RUNNER_TUNNEL_TYPE=custom needs RUNNER_PUBLIC_URL"),
        (["RUNNER_PUBLIC_URL": "node.example.org"], "RUNNER_PUBLIC_URL=\"node.example.org\" is not valid"),
        (["RUNNER_TUNNEL_TYPE": "frp"], "RUNNER_TUNNEL_TYPE=\"frp\" is not valid: expected one of bore, local"),
        (["RUNNER_TUNNEL_ENABLED": "maybe"], "RUNNER_TUNNEL_ENABLED=\"maybe\" is not valid"),
        (
            ["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_PORT": "70000"],
            "RUNNER_TUNNEL_PORT=\"70000\" is not valid"
        ),
        (["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_PORT": "-1"], "RUNNER_TUNNEL_PORT=\"-1\" is not valid"),
        (["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": "bore.pub:x"], "RUNNER_TUNNEL_SERVER_URL="),
        (["RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": "a/b"], "RUNNER_TUNNEL_SERVER_URL="),
        (["RUNNER_PUBLIC_HOST": "http://x/"], "RUNNER_PUBLIC_HOST="),
    ])
    func badSettingsAreConfigErrorsNamingTheKey(_ environment: [String: String], _ message: String) {
        #expect {
            try plan(environment)
        } throws: { error in
            (error as? any ExitStatusError)?.exitStatus == .config && "\(error)".contains(message)
        }
    }

    @Test func theSecretIsNeverShown() {
        let settings = Settings(environment: ["RUNNER_TUNNEL_SECRET": "hunter2", "RUNNER_TUNNEL_ENABLED": "true"])
        let plan = try? TunnelPlan.resolve(settings, webhookPort: 8081)
        #expect(SettingKey.runnerTunnelSecret.isSecret)
        #expect(plan.map { "\($0.kind)" }?.contains("hunter2") == false)
    }

    // MARK: ngrok

    @Test func ngrokPicksTheHTTPSTunnelToTheWebhookPort() throws {
        let body = Data(
            #"""
            {"tunnels":[
              {"public_url":"https://other.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:3000"}},
              {"public_url":"http://abc.ngrok-free.app","proto":"http","config":{"addr":"http://localhost:8081"}},
              {"public_url":"https://abc.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:8081"}}
            ],"uri":"/api/tunnels"}
            """#.utf8)
        #expect(
            try NgrokAgent.pick(body, api: TunnelPlan.ngrokAPI, webhookPort: 8081)
                == "https://abc.ngrok-free.app/webhook")
        #expect(NgrokAgent.forwards("8081", to: 8081))
        #expect(NgrokAgent.forwards("127.0.0.1:8081", to: 8081))
        #expect(!NgrokAgent.forwards("example.org:8081", to: 8081))
    }

    @Test func ngrokWithoutAMatchingTunnelIsAClearError() {
        let body = Data(#"{"tunnels":[{"public_url":"https://x.ngrok.app","config":{"addr":"localhost:3000"}}]}"#.utf8)
        #expect {
            try NgrokAgent.pick(body, api: TunnelPlan.ngrokAPI, webhookPort: 8081)
        } throws: { error in
            "\(error)".contains("no tunnel to port 8081") && "\(error)".contains("https://x.ngrok.app")
        }
        #expect(throws: TunnelError.self) { try NgrokAgent.pick(Data("<html>".utf8), api: "x", webhookPort: 1) }
    }

    @Test func ngrokAgentNotRunningFailsAtStart() async {
        let refused = HTTPClient { _ in throw HTTPError.connectionRefused(url: TunnelPlan.ngrokAPI) }
        let plan = TunnelPlan(mode: .ngrok(api: TunnelPlan.ngrokAPI))
        await #expect {
            _ = try await Tunnel.start(plan, webhookPort: 8081, http: refused)
        } throws: { error in
            (error as? TunnelError)?.exitStatus == .unavailable && "\(error)".contains("ngrok http 8081")
        }
        let agent = HTTPClient { _ in
            HTTPResponse(
                status: 200,
                body: Data(
                    #"{"tunnels":[{"public_url":"https://n.app","config":{"addr":"http://localhost:8081"}}]}"#.utf8))
        }
        let tunnel = try? await Tunnel.start(plan, webhookPort: 8081, http: agent)
        #expect(tunnel?.publicURL == "https://n.app/webhook")
        #expect(tunnel?.status.json["type"] == "ngrok")
    }
}
