import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Shared

/// The libcurl client against a real local server: real sockets, no mocks.
struct HTTPClientTests {
    let client = HTTPClient.live

    /// Retries without long waits.
    static func fast(_ attempts: Int = 3) -> RetryPolicy {
        RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05)
    }

    static func echo(_ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        var response = LocalHTTPServer.Response.bytes(request.body)
        response.headers["X-Echo-Method"] = request.method
        response.headers["X-Echo-Path"] = request.target
        response.headers["X-Echo-Test"] = request.header("x-test") ?? "-"
        response.headers["X-Echo-Type"] = request.header("content-type") ?? "-"
        return response
    }

    /// `count` bytes of a repeating 251-byte pattern (prime, so chunk boundaries never line up with it); cheap to
    /// build even in a debug build.
    static func pattern(_ count: Int) -> Data {
        let unit = Data((0..<251).map { UInt8($0) })
        var data = Data(capacity: count + unit.count)
        while data.count < count { data.append(unit) }
        return data.prefix(count)
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: Round trips

    @Test func getSendsHeadersAndReadsResponse() async throws {
        let server = try LocalHTTPServer(Self.echo)
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(.get, server.url("/hello?x=1"), headers: ["X-Test": "yes"]))
        #expect(response.status == 200)
        #expect(response.header("x-echo-method") == "GET")
        #expect(response.header("X-ECHO-PATH") == "/hello?x=1")
        #expect(response.headers["x-Echo-Test"] == "yes")
        #expect(response.body.isEmpty)
        #expect(response.url == server.url("/hello?x=1"))
        #expect(server.requests.first?.header("user-agent") == "prty/\(Version.current)")
    }

    @Test func postBodyRoundTrips() async throws {
        let server = try LocalHTTPServer(Self.echo)
        defer { server.stop() }
        let json = Data(#"{"a":[1,2,3],"b":"ü"}"#.utf8)
        let response = try await client.send(.json(.post, server.url("/api"), json))
        #expect(response.status == 200)
        #expect(response.body == json)
        #expect(response.header("X-Echo-Type") == "application/json")
        #expect(response.header("X-Echo-Method") == "POST")

        let binary = Self.pattern(1_500_000)  // NULs and all; over 1 MiB, where curl would add Expect: 100-continue
        let put = try await client.send(HTTPRequest(.put, server.url("/blob"), body: binary))
        #expect(put.body == binary)
        #expect(put.header("X-Echo-Method") == "PUT")
        #expect(put.header("X-Echo-Type") == "-")  // not curl's form-urlencoded guess
    }

    @Test func otherMethodsReachTheServer() async throws {
        let server = try LocalHTTPServer(Self.echo)
        defer { server.stop() }
        for method: HTTPRequest.Method in [.delete, .options, .patch, "PROPFIND"] {
            let response = try await client.send(HTTPRequest(method, server.url("/m")))
            #expect(response.header("X-Echo-Method") == method.rawValue)
        }
        let head = try await client.send(HTTPRequest(.head, server.url("/h")))
        #expect(head.status == 200)
        #expect(head.header("X-Echo-Method") == "HEAD")
        #expect(head.body.isEmpty)
    }

    @Test func largeBodiesArriveWhole() async throws {
        let payload = Self.pattern(3_000_000)
        let server = try LocalHTTPServer { _ in .bytes(payload) }
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(.get, server.url("/big")))
        #expect(response.body.count == payload.count)
        #expect(response.body == payload)
    }

    @Test func nonSuccessStatusIsAResponseUntilRequired() async throws {
        let server = try LocalHTTPServer { _ in .text("no such thing\nmore", status: 404) }
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(.get, server.url("/missing")))
        #expect(response.status == 404)
        #expect(!response.isSuccess)
        let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
        #expect(error.description == "HTTP 404 from \(server.url("/missing")): no such thing")
        #expect(error.exitStatus == .noInput)
    }

    // MARK: Failures

    @Test func connectionRefusedNamesTheURL() async throws {
        var request = HTTPRequest(.get, "http://127.0.0.1:9/x")
        request.retry = .none
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error == .connectionRefused(url: "http://127.0.0.1:9/x"))
        #expect(error.description == "connection refused to http://127.0.0.1:9/x")
        #expect(error.exitStatus == .tempFailure)
    }

    @Test func totalTimeoutFiresWhenTheServerStalls() async throws {
        let server = try LocalHTTPServer { _ in .stall }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/slow"))
        request.timeout = 0.5
        request.retry = .none
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(Self.elapsed(since: start) < 30)  // vs. forever: the server stalls until stopped
        #expect(error.description == "timed out after 0.5s waiting for \(server.url("/slow"))")
        #expect(error.exitStatus == .tempFailure)
    }

    @Test func connectTimeoutFiresWhenNobodyAccepts() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        var request = HTTPRequest(.get, "http://127.0.0.1:\(hole.port)/")
        request.connectTimeout = 0.5
        request.retry = .none
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(Self.elapsed(since: start) < 30)  // vs. the 60 s total timeout
        #expect(error == .timedOut(url: "http://127.0.0.1:\(hole.port)/", seconds: 0.5, connecting: true))
        #expect(error.description == "timed out after 0.5s connecting to http://127.0.0.1:\(hole.port)/")
    }

    @Test func timeoutAlsoBoundsAStalledStream() async throws {
        let server = try LocalHTTPServer { _ in .chunked([.text("a"), .stall]) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/stream"))
        request.timeout = 0.5
        let response = try await client.stream(request)
        #expect(response.status == 200)
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPError.self) {
            for try await _ in response.body {}
        }
        #expect(Self.elapsed(since: start) < 30)  // vs. forever: the server stalls until stopped
        #expect(error == .timedOut(url: server.url("/stream"), seconds: 0.5, connecting: false))
    }

    @Test func idleTimeoutCatchesADeadPeerUnderALongTotal() async throws {
        let server = try LocalHTTPServer { _ in .chunked([.text("a"), .stall]) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/quiet"))
        request.timeout = 600
        request.idleTimeout = 1
        request.retry = .none
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(Self.elapsed(since: start) < 60)  // vs. 600 s
        #expect(error == .stalled(url: server.url("/quiet"), seconds: 1))
        #expect(error.description == "no data from \(server.url("/quiet")) for 1s")
        #expect(error.exitStatus == .tempFailure)
    }

    @Test func streamedErrorStatusCarriesTheBody() async throws {
        let server = try LocalHTTPServer { _ in
            .chunked([.text("model \"x\" not found\n"), .text("more")], status: 404)
        }
        defer { server.stop() }
        let response = try await client.stream(HTTPRequest(.post, server.url("/api/generate"), body: Data("{}".utf8)))
        #expect(response.status == 404)
        await #expect(
            throws: HTTPError.status(code: 404, url: server.url("/api/generate"), detail: "model \"x\" not found")
        ) {
            try await response.requireSuccess()
        }
    }

    @Test func unresolvableHostSaysSo() async throws {
        var request = HTTPRequest(.get, "http://no-such-host.invalid/x")
        request.retry = .none
        request.connectTimeout = 5
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error == .unresolvedHost(host: "no-such-host.invalid", url: "http://no-such-host.invalid/x"))
        #expect(error.description.hasPrefix("could not resolve host no-such-host.invalid"))
        #expect(error.exitStatus == .tempFailure)
    }

    @Test func onlyHTTPURLsAreSent() async throws {
        for url in ["file:///etc/passwd", "ftp://example.com/", "", "localhost:80/x"] {
            let error = try await #require(throws: HTTPError.self) { try await client.send(HTTPRequest(.get, url)) }
            #expect(error.exitStatus == .usage, "\(url)")
        }
    }

    @Test func headerInjectionIsRefused() async throws {
        let server = try LocalHTTPServer(Self.echo)
        defer { server.stop() }
        let request = HTTPRequest(.get, server.url("/"), headers: ["X-Test": "a\r\nX-Evil: 1"])
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.exitStatus == .usage)
        #expect(server.requestCount == 0)
    }

    @Test func bodyCutShortIsAConnectionFailure() async throws {
        let server = try LocalHTTPServer { _ in .truncated(Data("half".utf8), declaredLength: 100) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/cut"))
        request.retry = Self.fast(2)
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        guard case .connectionFailed(let url, _) = error else {
            Issue.record("expected connectionFailed, got \(error)")
            return
        }
        #expect(url == server.url("/cut"))
        #expect(error.exitStatus == .tempFailure)
        #expect(server.requestCount == 2)  // a broken transfer is temporary: retried
    }

    // MARK: Size limit

    @Test func maxResponseBytesAbortsADeclaredBody() async throws {
        let server = try LocalHTTPServer { _ in .bytes(Data(count: 4096)) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/big"))
        request.maxResponseBytes = 1024
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error == .responseTooLarge(url: server.url("/big"), limit: 1024))
        #expect(error.description == "response from \(server.url("/big")) exceeded the 1 KiB limit")
        #expect(error.exitStatus == .dataError)
        #expect(server.requestCount == 1)  // not worth retrying
    }

    @Test func maxResponseBytesAbortsAChunkedBody() async throws {
        let gate = LocalHTTPServer.Gate()  // never opened: the body would go on forever
        let piece = LocalHTTPServer.Response.Piece.data(Data(count: 600))
        let server = try LocalHTTPServer { _ in .chunked([piece, piece, piece, .wait(gate)]) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/endless"))
        request.maxResponseBytes = 1000
        let start = ContinuousClock.now
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error == .responseTooLarge(url: server.url("/endless"), limit: 1000))
        #expect(Self.elapsed(since: start) < 30)

        let streamed = try await client.stream(request)
        let streamError = try await #require(throws: HTTPError.self) { for try await _ in streamed.body {} }
        #expect(streamError == .responseTooLarge(url: server.url("/endless"), limit: 1000))
    }

    // MARK: Retries

    @Test func retriesA503ThenSucceeds() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(503), .status(502), .text("ok")]))
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/flaky"))
        request.retry = Self.fast(3)
        let response = try await client.send(request)
        #expect(response.status == 200)
        #expect(response.text == "ok")
        #expect(server.requestCount == 3)
    }

    @Test func postIsNotRetriedUnlessDeclaredIdempotent() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(503), .text("ok")]))
        defer { server.stop() }
        var request = HTTPRequest(.post, server.url("/submit"), body: Data("x".utf8))
        request.retry = Self.fast(3)
        let response = try await client.send(request)
        #expect(response.status == 503)
        #expect(server.requestCount == 1)

        request.isIdempotent = true  // e.g. the server de-duplicates by an idempotency key
        let again = try await client.send(request)
        #expect(again.status == 200)
        #expect(server.requestCount == 2)
    }

    @Test func retriesStopAfterMaxAttempts() async throws {
        let server = try LocalHTTPServer { _ in .text("busy", status: 503) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/down"))
        request.retry = Self.fast(4)
        let response = try await client.send(request)
        #expect(response.status == 503)
        #expect(server.requestCount == 4)
        let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
        #expect(error.exitStatus == .tempFailure)
        #expect(error.description == "HTTP 503 from \(server.url("/down")): busy")
    }

    @Test func connectionErrorsAreRetriedThenReported() async throws {
        let events = Mutex<[RetryEvent]>([])
        var request = HTTPRequest(.get, "http://127.0.0.1:9/x")
        request.retry = Self.fast(3)
        request.retry.onRetry = { event in events.withLock { $0.append(event) } }
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error == .connectionRefused(url: "http://127.0.0.1:9/x"))
        let seen = events.withLock { $0 }
        #expect(seen.map(\.attempt) == [1, 2])
        #expect(seen.allSatisfy { $0.reason == "connection refused to http://127.0.0.1:9/x" && $0.delay <= 0.05 })
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = try LocalHTTPServer { _ in .status(400) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/bad"))
        request.retry = Self.fast(3)
        #expect(try await client.send(request).status == 400)
        #expect(server.requestCount == 1)
    }

    @Test func retryAfterIsHonoured() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(503, retryAfter: 1), .text("ok")]))
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/later"))
        request.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0)  // without Retry-After: no wait
        let start = ContinuousClock.now
        let response = try await client.send(request)
        #expect(response.text == "ok")
        #expect(Self.elapsed(since: start) >= 0.95)
        #expect(server.requestCount == 2)
    }

    @Test func retryAfterIsCapped() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(429, retryAfter: 3600), .text("ok")]))
        defer { server.stop() }
        let delays = Mutex<[Double]>([])
        let recording = HTTPClient.libcurl.retrying { seconds in delays.withLock { $0.append(seconds) } }
        var request = HTTPRequest(.get, server.url("/slow-down"))
        request.retry = RetryPolicy(maxAttempts: 3, maxRetryAfter: 2.5)
        let response = try await recording.send(request)
        #expect(response.text == "ok")
        #expect(delays.withLock { $0 } == [2.5])
    }

    @Test func retryAfterBeyondTheTotalBudgetReturnsTheResponse() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(503, retryAfter: 20), .text("ok")]))
        defer { server.stop() }
        let delays = Mutex<[Double]>([])
        let recording = HTTPClient.libcurl.retrying { seconds in delays.withLock { $0.append(seconds) } }
        var request = HTTPRequest(.get, server.url("/"))
        request.retry = RetryPolicy(maxAttempts: 3, maxRetryAfter: 30, maxTotal: 5)
        #expect(try await recording.send(request).status == 503)
        #expect(delays.withLock { $0 }.isEmpty)
        #expect(server.requestCount == 1)
    }

    @Test func streamingRetriesOnlyTheHead() async throws {
        let server = try LocalHTTPServer(LocalHTTPServer.sequence([.status(503), .chunked([.text("a"), .text("b")])]))
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/s"))
        request.retry = Self.fast(3)
        let response = try await client.stream(request)
        #expect(response.status == 200)
        #expect(try await response.collect().text == "ab")
        #expect(server.requestCount == 2)
    }

    // MARK: Streaming

    @Test func streamingDeliversChunksBeforeTheResponseEnds() async throws {
        let gate = LocalHTTPServer.Gate()
        let server = try LocalHTTPServer { _ in .chunked([.text("first\n"), .wait(gate), .text("second\n")]) }
        defer { server.stop() }
        let response = try await client.stream(HTTPRequest(.get, server.url("/ndjson")))
        #expect(response.status == 200)
        var received = [String]()
        for try await chunk in response.body {
            if received.isEmpty {
                // The server is holding chunk 2 until the gate opens: chunk 1 arrived on its own.
                #expect(!gate.isOpen)
                gate.open()
            }
            received.append(String(decoding: chunk, as: UTF8.self))
        }
        #expect(received.joined() == "first\nsecond\n")
        #expect(received.first == "first\n")
    }

    @Test func linesSplitAcrossChunks() async throws {
        let server = try LocalHTTPServer { _ in
            .chunked([.text(#"{"a":1}"# + "\n" + #"{"b""#), .pause(0.02), .text(":2}\r\n\n"), .text(#"{"c":3}"#)])
        }
        defer { server.stop() }
        let response = try await client.stream(HTTPRequest(.get, server.url("/lines")))
        var lines = [String]()
        for try await line in response.body.lines { lines.append(line) }
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#, "", #"{"c":3}"#])
    }

    @Test func aSlowReaderGetsEveryByteOfABigStream() async throws {
        let payload = Self.pattern(8_000_000)
        let server = try LocalHTTPServer { _ in .bytes(payload) }
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/download"))
        request.maxResponseBytes = nil
        let response = try await client.stream(request)
        try await Task.sleep(for: .milliseconds(200))  // lets the 1 MiB buffer fill, so the transfer must wait
        var received = Data()
        for try await chunk in response.body { received.append(contentsOf: chunk) }
        #expect(received.count == payload.count)
        #expect(received == payload)
    }

    @Test func fakeClientsStreamTheirBody() async throws {
        let fake = HTTPClient { request in HTTPResponse(status: 200, body: Data("x\ny".utf8), url: request.url) }
        let response = try await fake.stream(HTTPRequest(.get, "http://fake/"))
        var lines = [String]()
        for try await line in response.body.lines { lines.append(line) }
        #expect(lines == ["x", "y"])
    }

    // MARK: Unix socket

    @Test func unixSocketRequestsWork() async throws {
        let path = "/tmp/prty-http-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try LocalHTTPServer(unixSocket: path) { request in
            .json(#"{"path":"\#(request.target)","host":"\#(request.header("host") ?? "")"}"#)
        }
        defer { server.stop() }
        var request = HTTPRequest(.get, "http://localhost/v1.41/info")
        request.unixSocket = path
        let response = try await client.send(request).requireSuccess()
        #expect(response.text == #"{"path":"/v1.41/info","host":"localhost"}"#)
        #expect(response.header("content-type") == "application/json")
    }

    @Test func missingUnixSocketIsAnUnavailableService() async throws {
        var request = HTTPRequest(.get, "http://localhost/v1.41/info")
        request.unixSocket = "/tmp/prty-no-such-\(getpid()).sock"
        request.retry = .none
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.exitStatus == .unavailable)
        #expect(error.description.hasPrefix("cannot connect to unix socket /tmp/prty-no-such-"))
        #expect(error.description.contains("No such file or directory"))
    }

    // MARK: Redirects

    @Test func redirectsAreFollowedOnlyWhenAsked() async throws {
        let server = try LocalHTTPServer { request in
            switch request.path {
            case "/a": LocalHTTPServer.Response(status: 302, headers: ["Location": "/b"])
            case "/loop": LocalHTTPServer.Response(status: 301, headers: ["Location": "/loop"])
            default: .text("at \(request.path)")
            }
        }
        defer { server.stop() }
        let plain = try await client.send(HTTPRequest(.get, server.url("/a")))
        #expect(plain.status == 302)
        #expect(plain.header("location") == "/b")

        var follow = HTTPRequest(.get, server.url("/a"))
        follow.maxRedirects = 3
        let followed = try await client.send(follow)
        #expect(followed.text == "at /b")
        #expect(followed.url == server.url("/b"))

        var loop = HTTPRequest(.get, server.url("/loop"))
        loop.maxRedirects = 2
        let error = try await #require(throws: HTTPError.self) { try await client.send(loop) }
        #expect(error == .tooManyRedirects(url: server.url("/loop"), limit: 2))
    }

    // MARK: Cancellation

    /// Cancelling aborts the transfer at once: the server sees its connection close within a bound, timed on the
    /// server's own thread (the test's task may itself wait for a cooperative thread on a loaded machine).
    @Test func cancellingAStalledRequestReturnsPromptly() async throws {
        let server = try LocalHTTPServer { _ in .stall }
        defer { server.stop() }
        let task = Task { try await client.send(HTTPRequest(.get, server.url("/never"))) }
        let deadline = ContinuousClock.now + .seconds(10)
        while server.requestCount == 0 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(server.requestCount == 1)
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        // The server's thread records the closed connection a moment after the client let go of it.
        let recorded = ContinuousClock.now + .seconds(10)
        while server.connectionEnds.isEmpty && ContinuousClock.now < recorded { await Task.yield() }
        let end = try #require(server.connectionEnds.first)
        #expect(end - start < .seconds(10))  // the loop looks every 50 ms; without it: the 60 s timeout (wide bound: 2 loaded cores)
    }

    @Test func cancellingAStreamReaderAbortsTheTransfer() async throws {
        let server = try LocalHTTPServer { _ in .chunked([.text("a"), .stall]) }
        defer { server.stop() }
        let response = try await client.stream(HTTPRequest(.get, server.url("/feed")))
        let firstChunk = LocalHTTPServer.Gate()
        let reader = Task {
            for try await _ in response.body { firstChunk.open() }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !firstChunk.isOpen && ContinuousClock.now < deadline { await Task.yield() }
        #expect(firstChunk.isOpen)
        let start = ContinuousClock.now
        reader.cancel()
        let result = await reader.result
        #expect(throws: CancellationError.self) { try result.get() }
        // The server's thread records the closed connection a moment after the client let go of it.
        let recorded = ContinuousClock.now + .seconds(10)
        while server.connectionEnds.isEmpty && ContinuousClock.now < recorded { await Task.yield() }
        let end = try #require(server.connectionEnds.first)
        #expect(end - start < .seconds(10))
    }

    @Test func droppingAnUnreadBodyAbortsTheTransfer() async throws {
        let server = try LocalHTTPServer { _ in .chunked([.text("a"), .stall]) }
        defer { server.stop() }
        var response: HTTPStreamingResponse? = try await client.stream(HTTPRequest(.get, server.url("/feed")))
        #expect(response?.status == 200)
        let start = ContinuousClock.now
        response = nil
        let deadline = ContinuousClock.now + .seconds(10)
        while server.connectionEnds.isEmpty && ContinuousClock.now < deadline { await Task.yield() }
        let end = try #require(server.connectionEnds.first)
        #expect(end - start < .seconds(10))
    }
}

/// TLS against a real HTTPS peer with a self-signed certificate: verification is on unless that certificate is
/// trusted explicitly.
struct HTTPClientTLSTests {
    @Test func selfSignedCertificateIsRefused() async throws {
        let server = try await TLSTestServer.start()
        defer { server.stop() }
        var request = HTTPRequest(.get, server.url("/x"))
        request.retry = .none
        let error = try await #require(throws: HTTPError.self) { try await HTTPClient.live.send(request) }
        guard case .tls(let url, let detail) = error else {
            Issue.record("expected a TLS error, got \(error)")
            return
        }
        #expect(url == server.url("/x"))
        #expect(detail.contains("certificate"), "\(detail)")
        #expect(error.description.hasPrefix("TLS failure talking to \(server.url("/x")): "))
        #expect(error.exitStatus == .tempFailure)
    }

    @Test func trustedCertificateIsAccepted() async throws {
        let server = try await TLSTestServer.start()
        defer { server.stop() }
        var request = HTTPRequest(.post, server.url("/y"), body: Data("ping".utf8))
        request.caCertificates = server.certificate
        let response = try await HTTPClient.live.send(request).requireSuccess()
        #expect(response.text == "hello over tls /y")

        var wrongName = HTTPRequest(.get, "https://localhost:\(server.port)/z")  // the certificate names 127.0.0.1
        wrongName.caCertificates = server.certificate
        wrongName.retry = .none
        let error = try await #require(throws: HTTPError.self) { try await HTTPClient.live.send(wrongName) }
        guard case .tls = error else {
            Issue.record("expected a TLS error for a name the certificate does not cover, got \(error)")
            return
        }
    }
}

/// A listener whose accept queue is full and never drained: Linux drops further SYNs (tcp_conn_request, when
/// sk_acceptq_is_full), so a new connection hangs in the handshake until the client's connect timeout.
private struct BlackHole {
    let listener: Int32
    let filler: Int32
    let port: Int

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        // Backlog 0 queues one connection; the filler takes that place.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                listen(listener, 0) == 0 ? connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) : -1
            }
        }
        self.listener = listener
        self.filler = filler
        port = Int(UInt16(bigEndian: address.sin_port))
        try #require(listener >= 0 && filler >= 0 && bound == 0 && connected == 0, "could not set up the listener")
    }

    func close() {
        _ = Glibc.close(filler)
        _ = Glibc.close(listener)
    }
}
