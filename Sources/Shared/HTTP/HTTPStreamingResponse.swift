import Foundation

/// A response whose body arrives while it is read: status and headers first, then `body` chunk by chunk.
/// Reading the body to its end (or dropping the response) ends the transfer; cancelling the reading task
/// aborts it.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var url: String
    public var body: HTTPBody

    public init(status: Int, headers: HTTPHeaders = [:], url: String = "", body: HTTPBody) {
        self.status = status
        self.headers = headers
        self.url = url
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name] }
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// This response if its status is 2xx, else `HTTPError.status` with the start of the body (read here, up
    /// to 4 KiB).
    @discardableResult
    public func requireSuccess() async throws -> HTTPStreamingResponse {
        guard isSuccess else {
            var start = [UInt8]()
            for try await chunk in body {
                start += chunk
                if start.count >= 4096 { break }
            }
            throw HTTPError.status(
                code: status, url: HTTPRequest.redact(url), detail: HTTPError.summary(of: Data(start)))
        }
        return self
    }

    /// Reads the whole body (still bounded by the request's `maxResponseBytes`).
    public func collect() async throws -> HTTPResponse {
        var data = Data()
        for try await chunk in body { data.append(contentsOf: chunk) }
        return HTTPResponse(status: status, headers: headers, body: data, url: url)
    }
}
