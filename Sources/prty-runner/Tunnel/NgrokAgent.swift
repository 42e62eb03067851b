import Foundation
import Shared

/// Reads the public URL of a running ngrok agent from its local API (`GET http://127.0.0.1:4040/api/tunnels`:
/// `{"tunnels": [{"public_url": "https://….ngrok-free.app", "proto": "https", "config": {"addr":
/// "http://localhost:8081"}}]}`). The tunnel must forward to the webhook port; an https one is preferred.
enum NgrokAgent {
    static func webhookURL(api: String, webhookPort: Int, http: HTTPClient) async throws(TunnelError) -> String {
        var request = HTTPRequest(.get, api)
        request.connectTimeout = 3
        request.timeout = 5
        request.retry = .none
        request.maxResponseBytes = 1 << 20
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            throw .unreachable(
                "no ngrok agent answers at \(api) (\(error)); start one with 'ngrok http \(webhookPort)' first, "
                    + "or choose another RUNNER_TUNNEL_TYPE")
        }
        guard response.status == 200 else {
            throw .unreachable("the ngrok agent at \(api) answered HTTP \(response.status)")
        }
        return try pick(response.body, api: api, webhookPort: webhookPort)
    }

    /// The tunnel of the agent's answer that forwards to `webhookPort`, as a webhook URL. Pure, for tests.
    static func pick(_ body: Data, api: String, webhookPort: Int) throws(TunnelError) -> String {
        guard let json = try? JSONParser.parse([UInt8](body)), let tunnels = json["tunnels"]?.arrayValue else {
            throw .protocolError("the ngrok agent at \(api) did not answer with a tunnel list")
        }
        var seen: [String] = []
        var candidates: [(url: String, https: Bool)] = []
        for tunnel in tunnels {
            guard let url = tunnel["public_url"]?.stringValue else { continue }
            let address = tunnel["config"]?["addr"]?.stringValue ?? ""
            seen.append("\(url) → \(address)")
            guard forwards(address, to: webhookPort), url.hasPrefix("https://") || url.hasPrefix("http://") else {
                continue
            }
            candidates.append((url, url.hasPrefix("https://")))
        }
        guard let best = candidates.first(where: \.https) ?? candidates.first else {
            let found = seen.isEmpty ? "no tunnels" : seen.joined(separator: ", ")
            throw .unreachable(
                "the ngrok agent at \(api) has no tunnel to port \(webhookPort) (it has \(found)); "
                    + "start 'ngrok http \(webhookPort)'")
        }
        var url = best.url
        while url.hasSuffix("/") { url.removeLast() }
        return url + "/webhook"
    }

    /// Whether ngrok's `addr` (`http://localhost:8081`, `localhost:8081`, `127.0.0.1:8081`, `8081`) is the port.
    static func forwards(_ address: String, to port: Int) -> Bool {
        var rest = Substring(address)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var host: Substring = "localhost"
        var portText = rest
        if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let number = Int(portText) else { return false }
        return number == port && ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"].contains(host)
    }
}
