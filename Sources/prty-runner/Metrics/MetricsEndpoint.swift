import Foundation
import Shared

/// `/metrics` on RUNNER_METRICS_ADDR: where it listens, and what it answers. The HTTP server is the webhook's;
/// this type only decides the answer, so it is tested without sockets.
enum MetricsEndpoint {
    struct Answer: Equatable {
        var status: Int
        var contentType: String
        var body: String
    }

    /// `GET /metrics` (or HEAD): the exposition; `/` a pointer to it; anything else 404, other methods 405.
    static func answer(method: String, path: String, metrics: RunnerMetrics) -> Answer {
        let path = String(path.prefix { $0 != "?" })
        guard path == "/metrics" || path == "/" else {
            return Answer(status: 404, contentType: "text/plain; charset=utf-8", body: "not found; try /metrics\n")
        }
        guard method == "GET" || method == "HEAD" else {
            return Answer(status: 405, contentType: "text/plain; charset=utf-8", body: "method not allowed\n")
        }
        if path == "/" {
            return Answer(status: 200, contentType: "text/plain; charset=utf-8", body: "prty-runner: see /metrics\n")
        }
        return Answer(status: 200, contentType: MetricsRegistry.contentType, body: metrics.render())
    }

    /// RUNNER_METRICS_ADDR as an IPv4 address and port: `127.0.0.1:9464`, `localhost:9464`, `:9464` (every
    /// interface), or `nil` when metrics are off (the key set to an empty value, or `off`). Port 0 lets the system
    /// pick (tests).
    static func address(_ settings: Settings) throws -> (host: String, port: Int)? {
        let key = SettingKey.runnerMetricsAddr
        let environment = settings.environment[key.name]
        if environment == "" || (environment == nil && settings.file?.values[key.name] == "") { return nil }
        let (raw, source) = settings.lookup(key)
        let text = raw.trimmingCharacters(in: .whitespaces)
        if ["off", "none", "false"].contains(text.lowercased()) { return nil }
        let invalid = ConfigError(
            "\(key.name)=\(text.debugDescription) is not valid: expected an IPv4 address and port such as "
                + "127.0.0.1:9464, or an empty value to turn metrics off (\(source))")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw invalid }
        var host = String(text[..<colon])
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { throw invalid }
        return (host, port)
    }
}
