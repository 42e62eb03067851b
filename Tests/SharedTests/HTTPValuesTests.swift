import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Shared

/// The HTTP client's plain values: headers, error texts and exit codes, the retry policy and loop (through a
/// fake transport), Retry-After parsing, URL redaction. No network.
struct HTTPValuesTests {
    // MARK: Headers

    @Test func headerLookupIgnoresCase() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-Trace": "1"]
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers["Content-Length"] == nil)
        headers["CONTENT-type"] = "application/json"  // replaces, keeping the original spelling and place
        #expect(headers.fields.map(\.name) == ["Content-Type", "X-Trace"])
        #expect(headers["content-type"] == "application/json")
        headers.add("set-cookie", "a=1")
        headers.add("Set-Cookie", "b=2")
        #expect(headers.values("SET-COOKIE") == ["a=1", "b=2"])
        headers["Set-Cookie"] = "c=3"
        #expect(headers.values("set-cookie") == ["c=3"])
        headers["x-trace"] = nil
        #expect(!headers.contains("X-Trace"))
        #expect(headers.count == 2)
        #expect(!headers.contains("Content-Typ"))  // whole names only
    }

    // MARK: Errors

    @Test func errorTextsNameTheURLAndTheLimit() {
        let url = "http://127.0.0.1:9/x"
        #expect(HTTPError.connectionRefused(url: url).description == "connection refused to http://127.0.0.1:9/x")
        #expect(
            HTTPError.timedOut(url: url, seconds: 5, connecting: false).description
                == "timed out after 5s waiting for http://127.0.0.1:9/x")
        #expect(
            HTTPError.timedOut(url: url, seconds: 2.5, connecting: true).description
                == "timed out after 2.5s connecting to http://127.0.0.1:9/x")
        #expect(
            HTTPError.responseTooLarge(url: url, limit: 10 << 20).description
                == "response from http://127.0.0.1:9/x exceeded the 10 MiB limit")
        #expect(HTTPError.responseTooLarge(url: url, limit: 10_000_000).description.hasSuffix("the 10 MB limit"))
        #expect(HTTPError.responseTooLarge(url: url, limit: 1500).description.hasSuffix("the 1500 bytes limit"))
        #expect(HTTPError.status(code: 404, url: url, detail: "").description == "HTTP 404 from http://127.0.0.1:9/x")
        #expect(
            HTTPError.unresolvedHost(host: "gw.invalid", url: "http://gw.invalid/").description
                == "could not resolve host gw.invalid (for http://gw.invalid/); check the name and the network")
    }

    @Test(arguments: [
        (404, Shared.ExitStatus.noInput), (410, .noInput), (400, .dataError), (422, .dataError), (401, .noPermission),
        (403, .noPermission), (429, .tempFailure), (408, .tempFailure), (500, .tempFailure), (503, .tempFailure),
        (302, .failure),
    ])
    func statusErrorsMapToExitCodes(code: Int, status: Shared.ExitStatus) {
        #expect(HTTPError.status(code: code, url: "http://h/", detail: "").exitStatus == status)
    }

    @Test func networkErrorsAreTemporaryAndOthersAreNot() {
        let url = "http://h/"
        let temporary: [HTTPError] = [
            .connectionRefused(url: url), .timedOut(url: url, seconds: 1, connecting: true),
            .unresolvedHost(host: "h", url: url), .connectionFailed(url: url, detail: "reset"),
        ]
        for error in temporary {
            #expect(error.isTemporary, "\(error)")
            #expect(error.exitStatus == .tempFailure, "\(error)")
        }
        let permanent: [HTTPError] = [
            .tls(url: url, detail: "x"), .responseTooLarge(url: url, limit: 1), .tooManyRedirects(url: url, limit: 1),
            .invalidRequest(url: url, detail: "x"), .socketUnavailable(path: "/s", url: url, detail: "x"),
        ]
        for error in permanent { #expect(!error.isTemporary, "\(error)") }
        #expect(HTTPError.tls(url: url, detail: "x").exitStatus == .tempFailure)
        #expect(HTTPError.socketUnavailable(path: "/s", url: url, detail: "x").exitStatus == .unavailable)
        #expect(HTTPError.isRetryable(status: 503))
        #expect(!HTTPError.isRetryable(status: 501))
        #expect(!HTTPError.isRetryable(status: 404))
    }

    @Test func statusDetailIsTheFirstLineOfTheBody() throws {
        let long = String(repeating: "x", count: 300)
        let response = HTTPResponse(status: 500, body: Data("  \(long)\nsecond".utf8), url: "http://h/p?token=s")
        let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
        #expect(error.description == "HTTP 500 from http://h/p?…: " + String(repeating: "x", count: 200) + "…")
        #expect(try HTTPResponse(status: 204).requireSuccess().status == 204)
    }

    @Test func messagesLeaveSecretsOut() {
        #expect(HTTPRequest(.get, "https://user:pw@host:8/p?key=secret#frag").displayURL == "https://host:8/p?…")
        #expect(HTTPRequest(.get, "http://h/a@b").displayURL == "http://h/a@b")
        #expect(HTTPRequest(.get, "http://h/p#x").displayURL == "http://h/p")
    }

    // MARK: Retry policy and loop

    @Test func backoffGrowsExponentiallyWithinItsCap() {
        let policy = RetryPolicy(baseDelay: 0.5, maxDelay: 3)
        #expect(policy.backoff(retry: 1, random: 1) == 0.5)
        #expect(policy.backoff(retry: 2, random: 1) == 1)
        #expect(policy.backoff(retry: 3, random: 1) == 2)
        #expect(policy.backoff(retry: 4, random: 1) == 3)
        #expect(policy.backoff(retry: 40, random: 1) == 3)
        #expect(policy.backoff(retry: 3, random: 0.25) == 0.5)  // full jitter: anywhere in 0...ceiling
        #expect(policy.backoff(retry: 3, random: 0) == 0)
    }

    @Test func retryAfterReadsSecondsAndDates() throws {
        #expect(Retry.retryAfter("120") == 120)
        #expect(Retry.retryAfter(" 0 ") == 0)
        #expect(Retry.retryAfter("-3") == nil)
        #expect(Retry.retryAfter("soon") == nil)
        #expect(Retry.retryAfter(nil) == nil)
        let now = try #require(ISO8601DateFormatter().date(from: "2015-10-21T07:28:00Z"))
        #expect(Retry.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
        #expect(Retry.retryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == 0)  // in the past: at once
    }

    /// A fake transport answering from a script, counting calls.
    final class Script: Sendable {
        let steps: [Result<Int, HTTPError>]
        let calls = Atomic<Int>(0)
        init(_ steps: [Result<Int, HTTPError>]) { self.steps = steps }
        var client: HTTPClient {
            HTTPClient { [self] request in
                let index = calls.add(1, ordering: .relaxed).oldValue
                return HTTPResponse(status: try steps[min(index, steps.count - 1)].get(), url: request.url)
            }
        }
    }

    @Test func retryLoopWaitsWithJitterAndStops() async throws {
        let script = Script([.failure(.connectionRefused(url: "http://h/")), .success(503), .success(200)])
        let delays = Mutex<[Double]>([])
        let client = script.client.retrying { seconds in delays.withLock { $0.append(seconds) } }
        var request = HTTPRequest(.get, "http://h/")
        request.retry = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 10)
        #expect(try await client.send(request).status == 200)
        #expect(script.calls.load(ordering: .relaxed) == 3)
        let waited = delays.withLock { $0 }
        #expect(waited.count == 2)
        #expect((0...1).contains(waited[0]))  // retry 1: 0...base
        #expect((0...2).contains(waited[1]))  // retry 2: 0...2·base
    }

    @Test func retryLoopRethrowsPermanentErrorsAtOnce() async throws {
        let script = Script([.failure(.tls(url: "https://h/", detail: "bad certificate")), .success(200)])
        let client = script.client.retrying { _ in }
        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(.get, "https://h/"))
        }
        #expect(error == .tls(url: "https://h/", detail: "bad certificate"))
        #expect(script.calls.load(ordering: .relaxed) == 1)
    }

    @Test func retryLoopGivesUpWithTheLastError() async throws {
        let script = Script([.failure(.timedOut(url: "http://h/", seconds: 1, connecting: false))])
        let client = script.client.retrying { _ in }
        var request = HTTPRequest(.delete, "http://h/")
        request.retry = RetryPolicy(maxAttempts: 4)
        await #expect(throws: HTTPError.timedOut(url: "http://h/", seconds: 1, connecting: false)) {
            try await client.send(request)
        }
        #expect(script.calls.load(ordering: .relaxed) == 4)
    }

    /// A 30 s back-off that ran to its end would return normally; only a cut-short sleep throws. (No wall-clock
    /// bound: on a loaded 2-core machine the task may not even be scheduled for seconds.)
    @Test func retrySleepStopsWhenCancelled() async throws {
        let task = Task { try await Retry.sleep(30) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func onlyIdempotentMethodsAreRetriedByDefault() {
        for method: HTTPRequest.Method in [.get, .head, .put, .delete, .options] {
            #expect(HTTPRequest(method, "http://h/").isIdempotent, "\(method)")
        }
        for method: HTTPRequest.Method in [.post, .patch, "CONNECT"] {
            #expect(!HTTPRequest(method, "http://h/").isIdempotent, "\(method)")
        }
        #expect(HTTPRequest.Method(rawValue: "get") == .get)
    }

    @Test func requestDefaultsAreBounded() {
        let request = HTTPRequest(.get, "http://h/")
        #expect(request.connectTimeout == 10)
        #expect(request.timeout == 60)
        #expect(request.maxResponseBytes == 64 << 20)
        #expect(request.maxRedirects == 0)
        #expect(request.retry.maxAttempts == 3)
    }

    // MARK: C stays behind one door

    /// Only Curl.swift imports CCurl, and no Swift file calls the variadic curl_easy_setopt/getinfo: everything
    /// goes through shim.h's typed wrappers (Swift cannot call C variadics at all, so this also documents why).
    @Test func libcurlIsReachedOnlyThroughCurlSwiftAndTheShim() throws {
        let sources = Paths.root.appendingPathComponent("Sources")
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var importers: [String] = []
        for case let file as URL in enumerator where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            if text.range(of: #"import\s+CCurl"#, options: .regularExpression) != nil {
                importers.append(file.path.replacingOccurrences(of: sources.path + "/", with: ""))
            }
            #expect(!text.contains("curl_easy_setopt("), "\(file.lastPathComponent) calls curl_easy_setopt directly")
            #expect(!text.contains("curl_easy_getinfo("), "\(file.lastPathComponent) calls curl_easy_getinfo directly")
        }
        #expect(importers == ["Shared/HTTP/Curl.swift"])
        let shim = try String(contentsOf: sources.appendingPathComponent("CCurl/shim.h"), encoding: .utf8)
        for wrapper in [
            "CCurl_setopt_long", "CCurl_setopt_string", "CCurl_setopt_pointer", "CCurl_setopt_slist",
            "CCurl_setopt_offset", "CCurl_setopt_data_callback", "CCurl_setopt_progress_callback",
            "CCurl_getinfo_long", "CCurl_getinfo_offset", "CCurl_getinfo_string",
        ] {
            #expect(shim.contains("\(wrapper)("), "shim.h lost \(wrapper)")
        }
    }
}
