import Shared

/// `/metrics` served by the webhook's HTTP server (`HTTPServer`) on RUNNER_METRICS_ADDR, apart from the webhook so
/// a scrape never competes with the server's deliveries. An address that cannot be bound (another node on this
/// machine holds the port) is a warning, not a stop: the node's work matters more than its metrics.
enum MetricsServer {
    static func start(_ address: (host: String, port: Int), metrics: RunnerMetrics, log: Log) -> HTTPServer? {
        let server: HTTPServer
        do {
            server = try HTTPServer(host: address.host, port: address.port) { request in
                let answer = MetricsEndpoint.answer(method: request.method, path: request.path, metrics: metrics)
                var response = HTTPServer.Response(
                    status: answer.status, body: request.method == "HEAD" ? [] : Array(answer.body.utf8))
                response.headers["Content-Type"] = answer.contentType
                return response
            }
        } catch {
            log.warning(
                "metrics_unavailable",
                "no /metrics: RUNNER_METRICS_ADDR=\(address.host):\(address.port): \(error); "
                    + "choose another address, or set it empty to turn metrics off",
                ["address": .string("\(address.host):\(address.port)")])
            return nil
        }
        server.start()
        log.info(
            "metrics_listening", "metrics at http://\(address.host):\(server.port)/metrics",
            ["address": .string("\(address.host):\(server.port)")])
        return server
    }
}
