import Foundation

/// When a failed attempt is repeated: only for idempotent requests, only after a temporary failure
/// (connection refused or broken, timeout, unresolved host, HTTP 408/429/5xx), with exponential backoff and full
/// jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), and within a bounded number of attempts and
/// total time. A `Retry-After` from the server replaces the backoff, capped at `maxRetryAfter`.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included: 1 means no retry.
    public var maxAttempts: Int
    /// The backoff before retry n is a random delay in 0...min(maxDelay, baseDelay · 2^(n-1)) seconds.
    public var baseDelay: Double
    public var maxDelay: Double
    /// The longest `Retry-After` honoured, in seconds.
    public var maxRetryAfter: Double
    /// No retry starts later than this many seconds after the first attempt began.
    public var maxTotal: Double
    /// Told about each retry before its delay (to log it); nil by default.
    public var onRetry: (@Sendable (RetryEvent) -> Void)?

    public init(
        maxAttempts: Int = 3, baseDelay: Double = 0.5, maxDelay: Double = 8, maxRetryAfter: Double = 30,
        maxTotal: Double = 120, onRetry: (@Sendable (RetryEvent) -> Void)? = nil
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.maxRetryAfter = max(0, maxRetryAfter)
        self.maxTotal = max(0, maxTotal)
        self.onRetry = onRetry
    }

    /// Three attempts, 0.5 s base, 8 s cap, Retry-After up to 30 s, 120 s in all.
    public static let standard = RetryPolicy()
    /// One attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The full-jitter delay before retry `retry` (1 for the first retry). `random` is a number in 0..<1.
    public func backoff(retry: Int, random: Double) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(max(0, retry - 1))))
        return ceiling * min(max(random, 0), 1)
    }
}

/// One retry about to happen.
public struct RetryEvent: Sendable {
    /// The attempt that failed (1 for the first).
    public var attempt: Int
    /// Seconds until the next attempt.
    public var delay: Double
    /// What went wrong: `HTTP 503` or the error's text.
    public var reason: String
    public var url: String
}

/// The retry loop shared by buffered and streaming requests.
enum Retry {
    /// Runs `attempt` until it returns a response that is not worth retrying, or throws an error that is not,
    /// or the policy's bounds are reached (then the last response is returned, or the last error thrown).
    static func run<Response>(
        _ request: HTTPRequest,
        sleep: @Sendable (Double) async throws -> Void,
        random: () -> Double = { Double.random(in: 0..<1) },  // jitter only; no output depends on it
        status: (Response) -> (code: Int, headers: HTTPHeaders),
        attempt: () async throws -> Response
    ) async throws -> Response {
        let policy = request.retry
        let started = Monotonic.seconds()
        var number = 1
        while true {
            try Task.checkCancellation()
            try Interruption.check()
            let delay: Double
            let reason: String
            do {
                let response = try await attempt()
                let (code, headers) = status(response)
                guard request.isIdempotent, number < policy.maxAttempts, HTTPError.isRetryable(status: code) else {
                    return response
                }
                let after = retryAfter(headers["Retry-After"]).map { min($0, policy.maxRetryAfter) }
                delay = after ?? policy.backoff(retry: number, random: random())
                guard Monotonic.seconds() - started + delay <= policy.maxTotal else { return response }
                reason = "HTTP \(code)"
            } catch let error as HTTPError where error.isTemporary {
                guard request.isIdempotent, number < policy.maxAttempts else { throw error }
                delay = policy.backoff(retry: number, random: random())
                guard Monotonic.seconds() - started + delay <= policy.maxTotal else { throw error }
                reason = error.description
            }
            policy.onRetry?(RetryEvent(attempt: number, delay: delay, reason: reason, url: request.displayURL))
            try await sleep(delay)
            number += 1
        }
    }

    /// The wait a `Retry-After` value asks for, in seconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
    static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Int(text) { return seconds >= 0 ? Double(seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// Sleeps `seconds`, waking early with `CancellationError` or `InterruptedError`.
    static func sleep(_ seconds: Double) async throws {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            try Interruption.check()
            let slice = min(end - ContinuousClock.now, .milliseconds(100))
            try await Task.sleep(for: slice)
        }
        try Interruption.check()
    }
}
