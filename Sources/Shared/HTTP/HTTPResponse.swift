import Foundation

/// A complete response: status, headers and the whole body (at most the request's `maxResponseBytes`).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    /// The URL that answered, after any redirects that were followed.
    public var url: String

    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data(), url: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// The first value of a header (any case).
    public func header(_ name: String) -> String? { headers[name] }

    public var bytes: [UInt8] { [UInt8](body) }
    /// The body as UTF-8 text (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// This response if its status is 2xx, else `HTTPError.status` carrying the start of the body, which is
    /// where servers explain themselves.
    @discardableResult
    public func requireSuccess() throws(HTTPError) -> HTTPResponse {
        guard isSuccess else {
            throw .status(code: status, url: HTTPRequest.redact(url), detail: HTTPError.summary(of: body))
        }
        return self
    }
}
