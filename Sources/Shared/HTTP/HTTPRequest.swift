import Foundation

/// One HTTP request and the bounds it runs under. Every request has a connect timeout and a total timeout;
/// the defaults suit an API call, and a caller downloading something big raises `timeout` and
/// `maxResponseBytes` explicitly.
///
///     var request = HTTPRequest(.get, "http://localhost/v1.41/info")
///     request.unixSocket = "/var/run/docker.sock"
///     let info = try await HTTPClient.live.send(request).requireSuccess()
public struct HTTPRequest: Sendable {
    public struct Method: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
        public init(stringLiteral value: String) { self.init(rawValue: value) }
        public var description: String { rawValue }

        public static let get = Method(rawValue: "GET")
        public static let head = Method(rawValue: "HEAD")
        public static let post = Method(rawValue: "POST")
        public static let put = Method(rawValue: "PUT")
        public static let patch = Method(rawValue: "PATCH")
        public static let delete = Method(rawValue: "DELETE")
        public static let options = Method(rawValue: "OPTIONS")

        /// RFC 9110 §9.2.2: repeating one of these has the same effect as sending it once, so a retry is safe.
        public var isIdempotent: Bool { [.get, .head, .put, .delete, .options].contains(self) }
    }

    public var method: Method
    /// An absolute `http://` or `https://` URL. With `unixSocket`, the host part only fills the Host header.
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data?

    /// Seconds to establish the connection (TCP, and TLS for https). Default 10.
    public var connectTimeout: Double = 10
    /// Seconds for the whole exchange, from connecting to the last body byte (for a stream, reading the body
    /// counts too). Default 60.
    public var timeout: Double = 60
    /// Give up when no body byte arrives for this many seconds (whole seconds, at least 1), however long `timeout`
    /// is: for long streams and big downloads, where a generous total must not hide a dead peer. Default nil.
    public var idleTimeout: Double?
    /// The most body bytes the response may have; a longer one aborts the transfer with
    /// `HTTPError.responseTooLarge`. Default 64 MiB; nil means no limit (only for streaming consumers that bound
    /// what they keep).
    public var maxResponseBytes: Int? = 64 << 20
    /// How many redirects to follow (to http/https only). Default 0: a 3xx is returned as it is.
    public var maxRedirects: Int = 0
    /// Talk HTTP over this unix-domain socket instead of TCP (the Docker Engine API's `/var/run/docker.sock`).
    public var unixSocket: String?
    /// A PEM file of CA certificates to trust instead of the system's (a private CA, or a test server's own
    /// certificate). Verification itself is always on: there is no way to turn it off.
    public var caCertificates: String?
    /// Whether sending this request twice is harmless. Defaults to the method's idempotence; set it to true for a
    /// POST that the server de-duplicates (an idempotency key), so that it is retried too.
    public var isIdempotent: Bool
    /// When and how often a failed attempt is repeated (only for idempotent requests).
    public var retry: RetryPolicy = .standard
    /// Whether the request still runs after SIGINT/SIGTERM (which abort every other transfer): for the clean-up
    /// an interrupted tool must still do, such as stopping and removing a container. Default false.
    public var continuesAfterInterruption = false

    public init(
        _ method: Method = .get, _ url: String, headers: HTTPHeaders = [:], body: Data? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isIdempotent = method.isIdempotent
    }

    /// A request with a JSON body (`Content-Type: application/json`).
    public static func json(_ method: Method, _ url: String, _ body: Data, headers: HTTPHeaders = [:]) -> HTTPRequest {
        var request = HTTPRequest(method, url, headers: headers, body: body)
        if request.headers["Content-Type"] == nil { request.headers["Content-Type"] = "application/json" }
        return request
    }

    /// The URL as error messages show it: user info and the query string, which may carry secrets, left out.
    public var displayURL: String { Self.redact(url) }

    static func redact(_ url: String) -> String {
        var text = url
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            text = String(text[..<query]) + (text[query] == "?" ? "?…" : "")
        }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
            let slash = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
            if at < slash { text.removeSubrange(scheme.upperBound...at) }
        }
        return text
    }
}
