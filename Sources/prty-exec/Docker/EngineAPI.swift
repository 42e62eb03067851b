import Foundation
import Shared

/// The Docker Engine API over its unix socket (or `tcp://` when `DOCKER_HOST` says so), through Shared's libcurl
/// client; never the docker CLI. The API version is negotiated once: the engine's, capped at the newest one this
/// code was written against.
struct EngineAPI: Sendable {
    /// The newest API version whose fields prty-exec uses (Engine 24); older engines get their own version.
    static let newestVersion = (1, 43)

    /// `unix:///var/run/docker.sock`, as people know it.
    let endpoint: String
    let socket: String?
    /// `http://localhost` for a socket, `http://host:port` for TCP.
    let origin: String
    /// `v1.41`.
    let version: String
    let client: HTTPClient

    /// The engine at `DOCKER_HOST` (default `unix:///var/run/docker.sock`), its API version negotiated.
    static func connect(environment: [String: String], client: HTTPClient = .libcurl) async throws -> EngineAPI {
        let host = environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "unix:///var/run/docker.sock"
        let socket: String?
        let origin: String
        if host.hasPrefix("unix://") {
            socket = String(host.dropFirst("unix://".count))
            origin = "http://localhost"
        } else if host.hasPrefix("tcp://") || host.hasPrefix("http://") {
            socket = nil
            origin = "http://" + host.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true).last!
        } else if host.hasPrefix("/") {
            socket = host
            origin = "http://localhost"
        } else {
            throw ConfigError(
                key: "DOCKER_HOST", value: host, expected: "unix:///path/to/docker.sock or tcp://host:port")
        }
        var probe = EngineAPI(endpoint: host, socket: socket, origin: origin, version: "", client: client)
        var request = probe.request(.get, "/version", versioned: false)
        request.timeout = 10
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch let error as HTTPError {
            throw ExecError.engineUnavailable(endpoint: host, detail: Self.reason(error))
        }
        guard response.isSuccess, let document = try? JSONParser.parse(response.bytes),
            let apiVersion = document["ApiVersion"]?.stringValue
        else {
            throw ExecError.engineUnavailable(
                endpoint: host, detail: "GET /version answered HTTP \(response.status), not an engine's version")
        }
        let parts = apiVersion.split(separator: ".").compactMap { Int($0) }
        let engine = parts.count == 2 ? (parts[0], parts[1]) : (1, 41)
        let chosen = engine < newestVersion ? engine : newestVersion
        probe = EngineAPI(
            endpoint: host, socket: socket, origin: origin, version: "v\(chosen.0).\(chosen.1)", client: client)
        return probe
    }

    private static func reason(_ error: HTTPError) -> String {
        switch error {
        case .socketUnavailable(_, _, let detail): detail
        case .connectionRefused: "connection refused"
        default: error.description
        }
    }

    /// A request to `path` (e.g. `/containers/create`) with query items percent-encoded.
    func request(
        _ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
        versioned: Bool = true
    ) -> HTTPRequest {
        var url = origin + (versioned ? "/" + version : "") + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        var request =
            if let body { HTTPRequest.json(method, url, Data(body.serialized().utf8)) } else {
                HTTPRequest(method, url)
            }
        request.unixSocket = socket
        request.timeout = 60
        return request
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Sends a request; a non-2xx answer becomes `ExecError.engine` with the engine's own message.
    @discardableResult
    func call(_ request: HTTPRequest, accept: Set<Int> = []) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch let error as HTTPError {
            if case .socketUnavailable = error {
                throw ExecError.engineUnavailable(endpoint: endpoint, detail: Self.reason(error))
            }
            throw error
        }
        guard response.isSuccess || accept.contains(response.status) else {
            throw ExecError.engine(
                status: response.status, message: Self.message(response.bytes), method: request.method.rawValue,
                path: request.url.replacingOccurrences(of: origin + "/" + version, with: ""))
        }
        return response
    }

    /// The engine's `{"message": …}` text, else the start of the body.
    static func message(_ body: [UInt8]) -> String {
        if let document = try? JSONParser.parse(body), let message = document["message"]?.stringValue { return message }
        return String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A JSON answer.
    func json(_ request: HTTPRequest, accept: Set<Int> = []) async throws -> JSON {
        let response = try await call(request, accept: accept)
        do {
            return try JSONParser.parse(response.bytes)
        } catch {
            throw ExecError.protocolError("the Docker engine's answer to \(request.method) \(request.url) is not JSON")
        }
    }
}
