import Foundation

/// Why an HTTP exchange failed. Each text names the URL (without secrets) and, where it helps, what to try
/// next; each case maps to one of the exit statuses of docs/exit-codes.md §3.
public enum HTTPError: ExitStatusError, Equatable {
    /// Nothing listens on the address (ECONNREFUSED).
    case connectionRefused(url: String)
    /// The unix-domain socket is missing or refuses connections: the local service is not running.
    case socketUnavailable(path: String, url: String, detail: String)
    /// No connection (`connecting`) or no complete response within the request's timeout.
    case timedOut(url: String, seconds: Double, connecting: Bool)
    /// No data arrived for the request's `idleTimeout`.
    case stalled(url: String, seconds: Double)
    case unresolvedHost(host: String, url: String)
    /// The connection failed or broke off in another way: reset, closed before the response ended.
    case connectionFailed(url: String, detail: String)
    /// Certificate verification or the TLS handshake failed.
    case tls(url: String, detail: String)
    /// The response body would exceed the request's `maxResponseBytes`; the transfer was aborted.
    case responseTooLarge(url: String, limit: Int)
    case tooManyRedirects(url: String, limit: Int)
    /// The request itself cannot be sent: malformed URL, unsupported scheme.
    case invalidRequest(url: String, detail: String)
    /// A non-2xx status, raised only by `requireSuccess()`. `detail` is the start of the body.
    case status(code: Int, url: String, detail: String)
    /// libcurl itself failed (out of memory, an option it refused): a bug or a broken installation.
    case curl(String)

    public var description: String {
        switch self {
        case .connectionRefused(let url):
            "connection refused to \(url)"
        case .socketUnavailable(let path, let url, let detail):
            "cannot connect to unix socket \(path) for \(url): \(detail); is the service running?"
        case .timedOut(let url, let seconds, let connecting):
            connecting
                ? "timed out after \(Self.seconds(seconds)) connecting to \(url)"
                : "timed out after \(Self.seconds(seconds)) waiting for \(url)"
        case .stalled(let url, let seconds):
            "no data from \(url) for \(Self.seconds(seconds))"
        case .unresolvedHost(let host, let url):
            "could not resolve host \(host) (for \(url)); check the name and the network"
        case .connectionFailed(let url, let detail):
            "connection to \(url) failed: \(detail)"
        case .tls(let url, let detail):
            "TLS failure talking to \(url): \(detail); check the system CA certificates and the clock"
        case .responseTooLarge(let url, let limit):
            "response from \(url) exceeded the \(Self.bytes(limit)) limit"
        case .tooManyRedirects(let url, let limit):
            "more than \(limit) redirect\(limit == 1 ? "" : "s") from \(url)"
        case .invalidRequest(let url, let detail):
            "cannot send a request to \(url.isEmpty ? "an empty URL" : url): \(detail)"
        case .status(let code, let url, let detail):
            "HTTP \(code) from \(url)" + (detail.isEmpty ? "" : ": \(detail)")
        case .curl(let detail):
            "libcurl failed: \(detail)"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .connectionRefused, .timedOut, .stalled, .unresolvedHost, .connectionFailed, .tls: .tempFailure
        case .socketUnavailable: .unavailable
        case .responseTooLarge: .dataError
        case .tooManyRedirects: .failure
        case .invalidRequest: .usage
        case .curl: .software
        case .status(let code, _, _):
            switch code {
            case 404, 410: .noInput
            case 401, 403: .noPermission
            case 408, 425, 429, 500...599: .tempFailure
            case 400...499: .dataError
            default: .failure
            }
        }
    }

    /// Whether another attempt may succeed: the network or the server may recover.
    public var isTemporary: Bool {
        switch self {
        case .connectionRefused, .timedOut, .stalled, .unresolvedHost, .connectionFailed: true
        case .status(let code, _, _): HTTPError.isRetryable(status: code)
        default: false
        }
    }

    /// Statuses a client may retry: too many requests, and the server's own failures.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status) && status != 501 && status != 505
    }

    /// The first line of a body, trimmed to 200 characters: servers often explain an error there.
    static func summary(of body: Data) -> String {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }

    /// `5s`, `0.5s`, `90s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))s" : "\(value)s"
    }

    /// `10 MiB`, `10 MB`, `512 KiB`, `1500 bytes`.
    static func bytes(_ count: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where count >= size {
            if count % size == 0 { return "\(count / size) \(unit)" }
        }
        for (unit, size) in [("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1_000)] where count >= size {
            if count % size == 0 { return "\(count / size) \(unit)" }
        }
        return "\(count) bytes"
    }
}
