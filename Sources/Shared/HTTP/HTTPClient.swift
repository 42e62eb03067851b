import Foundation

/// The HTTP seam: two closures, one for a whole response and one for a streamed body. Tools take an
/// `HTTPClient` and use `.live`; unit tests pass a fake:
///
///     let fake = HTTPClient { _ in HTTPResponse(status: 204) }
///     let info = try await HTTPClient.live.send(HTTPRequest(.get, "http://127.0.0.1:5001/api/v0/id"))
///
/// Non-2xx statuses are responses, not errors; call `requireSuccess()` to turn them into `HTTPError.status`.
public struct HTTPClient: Sendable {
    /// Sends a request and collects the whole body (at most `maxResponseBytes`).
    public var send: @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Sends a request and returns once status and headers have arrived; the body follows as it is read.
    public var stream: @Sendable (HTTPRequest) async throws -> HTTPStreamingResponse

    /// A client from a `send` closure; its `stream` delivers the collected body as one chunk.
    public init(send: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        self.send = send
        self.stream = { request in
            let response = try await send(request)
            return HTTPStreamingResponse(
                status: response.status, headers: response.headers, url: response.url,
                body: HTTPBody(response.body.isEmpty ? [] : [[UInt8](response.body)]))
        }
    }

    public init(
        send: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse,
        stream: @escaping @Sendable (HTTPRequest) async throws -> HTTPStreamingResponse
    ) {
        self.send = send
        self.stream = stream
    }

    /// libcurl, with retries as each request's `retry` policy says.
    public static let live = HTTPClient.libcurl.retrying()

    /// libcurl, one attempt per request.
    public static let libcurl = HTTPClient(send: HTTPClient.curlSend, stream: HTTPClient.curlStream)

    /// This client with retries: a temporary failure of an idempotent request (see `RetryPolicy`) is tried again.
    /// `sleep` waits between attempts (tests may pass one that records the delays).
    public func retrying(sleep: (@Sendable (Double) async throws -> Void)? = nil) -> HTTPClient {
        let base = self
        let sleep = sleep ?? { try await Retry.sleep($0) }
        return HTTPClient(
            send: { request in
                try await Retry.run(request, sleep: sleep, status: { ($0.status, $0.headers) }) {
                    try await base.send(request)
                }
            },
            stream: { request in
                // Only the head is retried: once body bytes reach the reader they cannot be taken back.
                try await Retry.run(request, sleep: sleep, status: { ($0.status, $0.headers) }) {
                    try await base.stream(request)
                }
            })
    }

    /// Sends `request` and returns the body as text, failing on a non-2xx status.
    public func text(_ request: HTTPRequest) async throws -> String {
        try await send(request).requireSuccess().text
    }

    // MARK: libcurl

    private static func curlSend(_ request: HTTPRequest) async throws -> HTTPResponse {
        let abort = AbortFlag(watchesInterruption: !request.continuesAfterInterruption)
        return try await withTaskCancellationHandler {
            try await offload {  // Process/Offload.swift: a thread of its own, off the cooperative pool
                var body = Data()
                let head = try Curl.perform(request, abort: abort, onHead: { _ in }) { chunk in
                    body.append(contentsOf: chunk)
                }
                return HTTPResponse(status: head.status, headers: head.headers, body: body, url: head.url)
            }
        } onCancel: {
            abort.cancel()
        }
    }

    private static func curlStream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let abort = AbortFlag(watchesInterruption: !request.continuesAfterInterruption)
        let channel = BodyChannel(onAbandon: { abort.cancel() })
        let deadline = ContinuousClock.now + .milliseconds(Int(min(request.timeout, 1e9) * 1000))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (head: CheckedContinuation<HTTPStreamingResponse, any Error>) in
                startThread {  // the transfer's own thread; it reports through `head` and `channel`
                    var answered = false
                    do {
                        _ = try Curl.perform(
                            request, abort: abort,
                            onHead: { head$ in
                                answered = true
                                head.resume(
                                    returning: HTTPStreamingResponse(
                                        status: head$.status, headers: head$.headers, url: head$.url,
                                        body: HTTPBody(channel: channel)))
                            },
                            onChunk: { chunk in
                                switch channel.push(
                                    [UInt8](chunk), deadline: deadline, shouldAbort: { abort.isRequested })
                                {
                                case .delivered: break
                                case .consumerGone: throw CancellationError()
                                case .aborted: throw abort.error
                                case .timedOut:
                                    throw HTTPError.timedOut(
                                        url: request.displayURL, seconds: request.timeout, connecting: false)
                                }
                            })
                        channel.finish(nil)
                    } catch {
                        if answered { channel.finish(error) } else { head.resume(throwing: error) }
                    }
                }
            }
        } onCancel: {
            abort.cancel()
        }
    }
}
