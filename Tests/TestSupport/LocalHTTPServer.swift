import Foundation
import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small, real HTTP/1.1 server for tests: it listens on `127.0.0.1`, port 0 (the kernel picks a free port,
/// reported in `port`), or on a unix-domain socket, and answers every request with what `handler` returns.
/// Each connection runs on its own thread, so a stalled response never blocks the next connection.
///
///     let server = try LocalHTTPServer { request in .text("hello \(request.path)") }
///     defer { server.stop() }
///     let response = try await HTTPClient.live.send(HTTPRequest(.get, server.url("/x")))
///
/// Responses can misbehave on purpose: wait before answering (`delay`), never answer (`.stall`), send a chunked
/// body in pieces with pauses or gates between them (`.chunked`), or close the connection mid-body
/// (`.truncated`, `Piece.close`). `requestCount` and `requests` show what arrived (for retry tests).
/// `stop()` closes the listening socket and every connection and waits for the threads; nothing leaks.
public final class LocalHTTPServer: Sendable {
    /// A request as it arrived.
    public struct Request: Sendable {
        public let method: String
        /// The request target: path and query, e.g. `/api/v0/cat?arg=Qm…`.
        public let target: String
        public let headers: HTTPHeaders
        public let body: Data

        /// The target without its query string.
        public var path: String { String(target.prefix { $0 != "?" }) }
        /// The value of a query parameter, if present (not percent-decoded).
        public func query(_ name: String) -> String? {
            guard let mark = target.firstIndex(of: "?") else { return nil }
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]) : "" }
            }
            return nil
        }
        /// A header's first value, any case.
        public func header(_ name: String) -> String? { headers[name] }
        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// What to answer. Build one with the static helpers and adjust fields as needed.
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        /// Seconds to wait after reading the request, before writing anything.
        public var delay: Double = 0
        public var body: Body

        public enum Body: Sendable {
            /// A body sent at once, with `Content-Length`.
            case bytes(Data)
            /// `Transfer-Encoding: chunked`, written piece by piece.
            case pieces([Piece])
            /// Headers declare `declaredLength` bytes, `data` is sent, then the connection closes.
            case truncated(Data, declaredLength: Int)
            /// Nothing at all (not even a status line) until the client gives up or the server stops.
            case stall
        }

        /// One step of a chunked body.
        public enum Piece: Sendable {
            /// One chunk (empty data is skipped: an empty chunk would end the body).
            case data(Data)
            /// Waits this many seconds.
            case pause(Double)
            /// Waits until the gate opens; after `timeout` seconds the connection is closed instead.
            case wait(Gate, timeout: Double)
            /// Sends nothing more until the client gives up or the server stops.
            case stall
            /// Closes the connection without ending the body.
            case close

            /// A chunk of UTF-8 text.
            public static func text(_ text: String) -> Piece { .data(Data(text.utf8)) }
            /// Waits for `gate` for up to 10 seconds.
            public static func wait(_ gate: Gate) -> Piece { .wait(gate, timeout: 10) }
        }

        public init(status: Int = 200, headers: HTTPHeaders = [:], body: Body = .bytes(Data())) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// `text` as `text/plain`.
        public static func text(_ text: String, status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
            var response = Response(status: status, headers: headers, body: .bytes(Data(text.utf8)))
            if response.headers["Content-Type"] == nil {
                response.headers["Content-Type"] = "text/plain; charset=utf-8"
            }
            return response
        }
        /// `json` (already serialised) as `application/json`.
        public static func json(_ json: String, status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
            var response = Response(status: status, headers: headers, body: .bytes(Data(json.utf8)))
            response.headers["Content-Type"] = "application/json"
            return response
        }
        /// Raw bytes.
        public static func bytes(_ data: Data, status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
            Response(status: status, headers: headers, body: .bytes(data))
        }
        /// A status with an empty body; `retryAfter` adds a `Retry-After` header (seconds).
        public static func status(_ status: Int, retryAfter: Int? = nil) -> Response {
            var response = Response(status: status)
            if let retryAfter { response.headers["Retry-After"] = String(retryAfter) }
            return response
        }
        /// A chunked body written piece by piece.
        public static func chunked(_ pieces: [Piece], status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
            Response(status: status, headers: headers, body: .pieces(pieces))
        }
        /// `Content-Length: declaredLength`, then only `data`, then the connection closes.
        public static func truncated(_ data: Data, declaredLength: Int) -> Response {
            Response(status: 200, body: .truncated(data, declaredLength: declaredLength))
        }
        /// Never answers.
        public static let stall = Response(status: 200, body: .stall)

        /// This response after `seconds` of silence.
        public func delayed(_ seconds: Double) -> Response {
            var copy = self
            copy.delay = seconds
            return copy
        }
    }

    /// A one-way latch between a test and a response in progress: `.wait(gate)` holds a chunked body until the
    /// test calls `open()`.
    public final class Gate: Sendable {
        private let state = Mutex(false)
        public init() {}
        public func open() { state.withLock { $0 = true } }
        public var isOpen: Bool { state.withLock { $0 } }
    }

    /// A handler answering with `responses` in order, repeating the last one: e.g. two 503s, then 200.
    public static func sequence(_ responses: [Response]) -> @Sendable (Request) -> Response {
        precondition(!responses.isEmpty, "sequence needs at least one response")
        let next = Atomic<Int>(0)
        return { _ in
            let index = next.add(1, ordering: .relaxed).oldValue
            return responses[min(index, responses.count - 1)]
        }
    }

    /// The TCP port (0 when listening on a unix socket).
    public let port: Int
    /// The unix-domain socket path, when listening on one.
    public let socketPath: String?

    private let listener: Int32
    private let handler: @Sendable (Request) -> Response
    private let stopped = Atomic<Bool>(false)
    private let counter = Atomic<Int>(0)
    private let log = Mutex<[Request]>([])
    private let ends = Mutex<[ContinuousClock.Instant]>([])
    private let threads = DispatchGroup()

    /// Listens on 127.0.0.1 and a free port.
    public convenience init(_ handler: @escaping @Sendable (Request) -> Response) throws {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        guard Self.bind(fd, &address) == 0 else {
            close(fd)
            throw Self.failure("bind 127.0.0.1:0")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try self.init(listener: fd, port: Int(UInt16(bigEndian: address.sin_port)), socketPath: nil, handler)
    }

    /// Listens on a unix-domain socket at `path` (replacing a stale file there; removed again by `stop()`).
    public convenience init(unixSocket path: String, _ handler: @escaping @Sendable (Request) -> Response) throws {
        let fd = socket(AF_UNIX, Self.streamType, 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Self.failure("unix socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        unlink(path)
        guard Self.bind(fd, &address) == 0 else {
            close(fd)
            throw Self.failure("bind \(path)")
        }
        try self.init(listener: fd, port: 0, socketPath: path, handler)
    }

    /// bind(2) for a `sockaddr_in` or `sockaddr_un`, passed as the `sockaddr` the call takes.
    private static func bind<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.bind(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
    }

    private init(
        listener: Int32, port: Int, socketPath: String?, _ handler: @escaping @Sendable (Request) -> Response
    ) throws {
        guard listen(listener, 64) == 0 else {
            close(listener)
            throw Self.failure("listen")
        }
        self.listener = listener
        self.port = port
        self.socketPath = socketPath
        self.handler = handler
        threads.enter()
        Thread { [self] in
            acceptLoop()
            threads.leave()
        }.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT` (or `http://localhost` on a unix socket, where the host only fills the Host header).
    public var baseURL: String { socketPath == nil ? "http://127.0.0.1:\(port)" : "http://localhost" }

    /// `baseURL` + `path` (which should start with `/`).
    public func url(_ path: String = "/") -> String { baseURL + path }

    /// How many requests have been read so far.
    public var requestCount: Int { counter.load(ordering: .relaxed) }

    /// Every request read so far, in order of arrival.
    public var requests: [Request] { log.withLock { $0 } }

    /// When each finished connection ended (the client closed it, or the server did), in order. Taken on the
    /// connection's own thread, so a test can time an abort without depending on when its own task runs.
    public var connectionEnds: [ContinuousClock.Instant] { ends.withLock { $0 } }

    /// Stops listening, closes every connection (ending stalls and waits) and waits up to 5 s for the threads.
    /// Safe to call more than once.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        _ = threads.wait(timeout: .now() + 5)
        if let socketPath { unlink(socketPath) }
    }

    // MARK: Connections

    private var isStopped: Bool { stopped.load(ordering: .relaxed) }

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            guard Self.poll(listener, for: Int16(POLLIN), milliseconds: 50) else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var yes: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            threads.enter()
            Thread { [self] in
                serve(connection)
                ends.withLock { $0.append(.now) }
                close(connection)
                threads.leave()
            }.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer = [UInt8]()
        while !isStopped {
            guard let request = readRequest(fd, &buffer) else { return }
            counter.add(1, ordering: .relaxed)
            log.withLock { $0.append(request) }
            let response = handler(request)
            guard write(response, to: fd, request: request) else { return }
            let closeAfter = request.header("Connection")?.lowercased() == "close"
            if closeAfter { return }
        }
    }

    /// Reads one request (head and body); nil when the client closed, the server stopped, or the bytes are not
    /// HTTP.
    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        let end: Int
        while true {
            if let found = Self.find([13, 10, 13, 10], in: buffer) {
                end = found
                break
            }
            guard buffer.count < 1 << 20, receive(fd, into: &buffer) else { return nil }
        }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeSubrange(..<(end + 4))
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(
                String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        var body = [UInt8]()
        if headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
            while true {
                guard let lineEnd = readLine(fd, &buffer) else { return nil }
                let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).prefix { $0 != ";" }
                buffer.removeSubrange(..<(lineEnd + 2))
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                while buffer.count < size + 2 {
                    guard receive(fd, into: &buffer) else { return nil }
                }
                body += buffer[..<size]
                buffer.removeSubrange(..<(size + 2))
                if size == 0 {
                    break  // trailers are not used by our clients
                }
            }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }), length > 0 {
            while buffer.count < length {
                guard receive(fd, into: &buffer) else { return nil }
            }
            body = Array(buffer[..<length])
            buffer.removeSubrange(..<length)
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: Data(body))
    }

    private func readLine(_ fd: Int32, _ buffer: inout [UInt8]) -> Int? {
        while true {
            if let found = Self.find([13, 10], in: buffer) { return found }
            guard receive(fd, into: &buffer) else { return nil }
        }
    }

    /// Appends what arrives to `buffer`; false when the client closed or the server stopped.
    private func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        while !isStopped {
            guard Self.poll(fd, for: Int16(POLLIN), milliseconds: 50) else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer += chunk[..<count]
            return true
        }
        return false
    }

    /// Writes a response; false when the connection must close afterwards.
    private func write(_ response: Response, to fd: Int32, request: Request) -> Bool {
        if response.delay > 0 && !pause(response.delay, fd) { return false }
        var headers = response.headers
        let isHead = request.method == "HEAD"
        switch response.body {
        case .stall:
            _ = waitUntil(fd) { false }
            return false
        case .bytes(let data):
            headers["Content-Length"] = String(data.count)
            guard send(head: response.status, headers, to: fd) else { return false }
            return isHead || sendAll(fd, [UInt8](data))
        case .truncated(let data, let declared):
            headers["Content-Length"] = String(declared)
            guard send(head: response.status, headers, to: fd) else { return false }
            _ = sendAll(fd, [UInt8](data))
            return false
        case .pieces(let pieces):
            headers["Transfer-Encoding"] = "chunked"
            guard send(head: response.status, headers, to: fd) else { return false }
            if isHead { return true }
            for piece in pieces {
                switch piece {
                case .data(let data):
                    guard
                        data.isEmpty
                            || sendAll(fd, Array("\(String(data.count, radix: 16))\r\n".utf8) + data + [13, 10])
                    else { return false }
                case .pause(let seconds):
                    guard pause(seconds, fd) else { return false }
                case .wait(let gate, let timeout):
                    let deadline = Date().addingTimeInterval(timeout)
                    guard waitUntil(fd, { gate.isOpen || Date() >= deadline }), gate.isOpen else { return false }
                case .stall:
                    _ = waitUntil(fd) { false }
                    return false
                case .close:
                    return false
                }
            }
            return sendAll(fd, Array("0\r\n\r\n".utf8))
        }
    }

    private func send(head status: Int, _ headers: HTTPHeaders, to fd: Int32) -> Bool {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for field in headers { text += "\(field.name): \(field.value)\r\n" }
        return sendAll(fd, Array((text + "\r\n").utf8))
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            if isStopped { return false }
            guard Self.poll(fd, for: Int16(POLLOUT), milliseconds: 50) else { continue }
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Waits `seconds`; false if the client went away or the server stopped meanwhile.
    private func pause(_ seconds: Double, _ fd: Int32) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return waitUntil(fd) { Date() >= deadline }
    }

    /// Polls every 10 ms until `done()`; false (early) when the client closed the connection or the server
    /// stopped.
    private func waitUntil(_ fd: Int32, _ done: () -> Bool) -> Bool {
        while !done() {
            if isStopped { return false }
            if Self.poll(fd, for: Int16(POLLIN), milliseconds: 10) {
                var byte: UInt8 = 0
                let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EINTR) { return false }  // closed
                if peeked > 0 { usleep(10_000) }  // a pipelined request waits its turn
            }
        }
        return true
    }

    // MARK: Helpers

    private static var streamType: Int32 {
        #if canImport(Glibc)
            Int32(SOCK_STREAM.rawValue)
        #else
            SOCK_STREAM
        #endif
    }

    private static func poll(_ fd: Int32, for events: Int16, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return Glibc.poll(&entry, 1, milliseconds) > 0
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }

    private static func failure(_ what: String) -> any Error {
        NSError(
            domain: "LocalHTTPServer", code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(what) failed: \(String(cString: strerror(errno)))"])
    }
}
