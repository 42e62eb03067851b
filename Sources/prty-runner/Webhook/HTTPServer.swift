import Foundation
import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small HTTP/1.1 server on POSIX sockets for the runner's webhook (and the operations endpoints): it binds
/// in `init` (so the port is known and listening before the runner registers it anywhere), then serves each
/// connection on a thread of its own, up to `Limits.maxConnections` at once.
///
///     let server = try HTTPServer(host: "0.0.0.0", port: 8081) { request in
///         request.path == "/webhook" ? .json(200, ["status": "ok"]) : .text(404, "not found\n")
///     }
///     server.start()
///     defer { server.stop() }
///
/// Bounds, so a slow or hostile client cannot pin it: the request head must arrive within `headerTimeout` and
/// fit in `maxHeaderBytes` (else 408/431), the body within `bodyTimeout` and `maxBodyBytes` (else 408/413),
/// an idle keep-alive connection is closed after `idleTimeout`, and a connection beyond `maxConnections` gets
/// 503 and is closed. `Transfer-Encoding` bodies are refused with 411 (every client we serve sends
/// `Content-Length`); `Expect: 100-continue` is answered. The handler is synchronous and must be quick: it runs
/// on the connection's thread and anything slow belongs in a task it starts.
final class HTTPServer: Sendable {
    struct Limits: Sendable {
        var maxHeaderBytes = 16 << 10
        var maxBodyBytes = 1 << 20
        var headerTimeout: Double = 10
        var bodyTimeout: Double = 10
        var idleTimeout: Double = 30
        var maxConnections = 256  // 200 keep-alive clients under load get no 503 (bench_tunnel.py)
    }

    /// A request as it arrived.
    struct Request: Sendable {
        var method: String
        /// Path and query, e.g. `/webhook?x=1`.
        var target: String
        var headers: HTTPHeaders
        var body: [UInt8]

        /// The target without its query string.
        var path: String { String(target.prefix { $0 != "?" }) }
        func header(_ name: String) -> String? { headers[name] }
    }

    /// What to answer.
    struct Response: Sendable, Equatable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        static func json(_ status: Int, _ document: JSON) -> Response {
            Response(
                status: status, headers: ["Content-Type": "application/json"],
                body: Array((document.serialized() + "\n").utf8))
        }

        static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
        }
    }

    enum StartError: Error, CustomStringConvertible {
        case socket(String, String)
        var description: String {
            switch self {
            case .socket(let what, let detail): "cannot \(what): \(detail)"
            }
        }
    }

    /// The bound port (the kernel's choice when asked for port 0).
    let port: Int
    let limits: Limits
    private let listener: Int32
    private let handler: @Sendable (Request) -> Response
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)
    private let threads = DispatchGroup()

    private struct State {
        var connections: Set<Int32> = []
        var started = false
        var closed = false
    }

    /// Binds `host:port` and listens. `host` is an IPv4 address (`0.0.0.0` for every interface).
    init(
        host: String = "0.0.0.0", port: Int, limits: Limits = Limits(),
        _ handler: @escaping @Sendable (Request) -> Response
    )
        throws
    {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw StartError.socket("create a socket", Self.errnoText()) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port)).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw StartError.socket("listen on \(host):\(port)", "not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let detail = Self.errnoText()
            close(fd)
            throw StartError.socket("listen on \(host):\(port)", detail)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.limits = limits
        self.handler = handler
    }

    deinit { stop() }

    /// Starts accepting connections (once).
    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started && !state.closed
        }
        guard first else { return }
        threads.enter()
        startThread { [self] in
            acceptLoop()
            threads.leave()
        }
    }

    /// Closes the listening socket and every connection, and waits for their threads.
    func stop() {
        let firstStop = !stopped.exchange(true, ordering: .acquiringAndReleasing)
        let connections = state.withLock { state -> Set<Int32> in
            state.closed = true
            return state.connections
        }
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        threads.wait()
        if firstStop { close(listener) }
    }

    // MARK: Accepting

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            guard Self.poll(listener, events: Int16(POLLIN), milliseconds: 100) else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
                setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let admitted = state.withLock { state -> Bool in
                guard !state.closed, state.connections.count < limits.maxConnections else { return false }
                state.connections.insert(fd)
                return true
            }
            guard admitted else {
                var response = Response.text(503, "too many connections\n")
                response.headers["Retry-After"] = "1"
                Self.send(fd, Self.encode(response, keepAlive: false), deadline: Monotonic.seconds() + 1)
                close(fd)
                continue
            }
            threads.enter()
            startThread { [self] in
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
                threads.leave()
            }
        }
    }

    // MARK: One connection

    /// Serves requests on `fd` until the client closes, a limit is hit, or the server stops.
    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var firstRequest = true
        while !stopped.load(ordering: .acquiring) {
            // Between keep-alive requests the connection may idle; once a byte arrives the head has its deadline.
            if buffer.isEmpty {
                let idle = firstRequest ? limits.headerTimeout : limits.idleTimeout
                guard read(fd, into: &buffer, deadline: Monotonic.seconds() + idle) else { return }
            }
            firstRequest = false
            let headDeadline = Monotonic.seconds() + limits.headerTimeout
            var headEnd: Int?
            while true {
                if let end = Self.headEnd(in: buffer) {
                    headEnd = end
                    break
                }
                if buffer.count > limits.maxHeaderBytes {
                    reply(fd, .text(431, "request header too large\n"))
                    return
                }
                guard read(fd, into: &buffer, deadline: headDeadline) else {
                    if !buffer.isEmpty { reply(fd, .text(408, "request header timeout\n")) }
                    return
                }
            }
            guard let headEnd, headEnd <= limits.maxHeaderBytes else {
                reply(fd, .text(431, "request header too large\n"))
                return
            }
            let head: RequestHead
            do {
                head = try RequestHead.parse(buffer[..<headEnd])
            } catch {
                reply(fd, .text(error.status, error.message + "\n"))
                return
            }
            buffer.removeFirst(headEnd)
            if head.contentLength > limits.maxBodyBytes {
                reply(fd, .text(413, "request body larger than \(limits.maxBodyBytes) bytes\n"))
                return
            }
            if head.expectsContinue && buffer.count < head.contentLength {
                Self.send(
                    fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), deadline: Monotonic.seconds() + limits.bodyTimeout)
            }
            let bodyDeadline = Monotonic.seconds() + limits.bodyTimeout
            while buffer.count < head.contentLength {
                guard read(fd, into: &buffer, deadline: bodyDeadline) else {
                    reply(fd, .text(408, "request body timeout\n"))
                    return
                }
            }
            let body = Array(buffer[..<head.contentLength])
            buffer.removeFirst(head.contentLength)
            let request = Request(method: head.method, target: head.target, headers: head.headers, body: body)
            let response = handler(request)
            let keepAlive = head.keepAlive && !stopped.load(ordering: .acquiring)
            guard
                Self.send(
                    fd, Self.encode(response, keepAlive: keepAlive), deadline: Monotonic.seconds() + limits.bodyTimeout),
                keepAlive
            else { return }
        }
    }

    private func reply(_ fd: Int32, _ response: Response) {
        Self.send(fd, Self.encode(response, keepAlive: false), deadline: Monotonic.seconds() + 1)
    }

    /// Appends what arrives before `deadline`; false at end of stream, error, timeout or stop.
    private func read(_ fd: Int32, into buffer: inout [UInt8], deadline: Double) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while !stopped.load(ordering: .acquiring) {
            let left = deadline - Monotonic.seconds()
            guard left > 0 else { return false }
            guard Self.poll(fd, events: Int16(POLLIN), milliseconds: Int32(min(left, 0.1) * 1000) + 1) else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[..<count])
            return true
        }
        return false
    }

    // MARK: Wire format

    /// The index just past `\r\n\r\n`, if the head is complete.
    static func headEnd(in buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = 3
        while index < buffer.count {
            if buffer[index] == 10 && buffer[index - 1] == 13 && buffer[index - 2] == 10 && buffer[index - 3] == 13 {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    static func encode(_ response: Response, keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for field in response.headers where !["content-length", "connection"].contains(field.name.lowercased()) {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + response.body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }

    /// Writes all of `bytes` before `deadline`; false if the peer went away or was too slow.
    @discardableResult
    private static func send(_ fd: Int32, _ bytes: [UInt8], deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard deadline > Monotonic.seconds() else { return false }
            guard poll(fd, events: Int16(POLLOUT), milliseconds: 100) else { continue }
            let written = bytes[offset...].withUnsafeBytes { buffer in
                #if canImport(Glibc)
                    Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
                #else
                    Darwin.send(fd, buffer.baseAddress, buffer.count, 0)
                #endif
            }
            if written < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private static func poll(_ fd: Int32, events: Int16, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        #if canImport(Glibc)
            return Glibc.poll(&entry, 1, milliseconds) > 0
        #else
            return Darwin.poll(&entry, 1, milliseconds) > 0
        #endif
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static var streamType: Int32 {
        #if canImport(Glibc)
            Int32(SOCK_STREAM.rawValue)
        #else
            SOCK_STREAM
        #endif
    }
}

/// A parsed request line and header block (pure: unit-tested without sockets).
struct RequestHead: Equatable {
    var method: String
    var target: String
    var version: String
    var headers: HTTPHeaders
    var contentLength: Int
    var keepAlive: Bool
    var expectsContinue: Bool

    struct Failure: Error, Equatable {
        var status: Int
        var message: String
    }

    /// Parses the bytes up to and including the blank line that ends the head.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(Failure) -> RequestHead {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Failure(status: 400, message: "request head is not UTF-8")
        }
        var lines = text.components(separatedBy: "\r\n")
        while lines.last == "" { lines.removeLast() }
        guard let requestLine = lines.first else { throw Failure(status: 400, message: "empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].hasPrefix("/") || parts[1] == "*",
            parts[0].allSatisfy({ $0.isASCII && $0.isUppercase })
        else { throw Failure(status: 400, message: "malformed request line") }
        let version = String(parts[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw Failure(status: 505, message: "only HTTP/1.0 and HTTP/1.1 are served")
        }
        var headers = HTTPHeaders()
        var fields: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[..<colon].contains(where: { $0 == " " || $0 == "\t" })
            else { throw Failure(status: 400, message: "malformed header line") }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields.append((name, value))
        }
        headers = HTTPHeaders(fields)
        if let encoding = headers["Transfer-Encoding"], encoding.lowercased() != "identity" {
            throw Failure(status: 411, message: "send the body with Content-Length (Transfer-Encoding is not served)")
        }
        let lengths = fields.filter { $0.0.lowercased() == "content-length" }.map(\.1)
        var contentLength = 0
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), let value = Int(first), value >= 0, first.allSatisfy(\.isASCII)
            else { throw Failure(status: 400, message: "invalid Content-Length") }
            contentLength = value
        }
        let connection = headers["Connection"]?.lowercased() ?? ""
        let keepAlive = version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive")
        let expects = headers["Expect"]?.lowercased() == "100-continue"
        return RequestHead(
            method: String(parts[0]), target: String(parts[1]), version: version, headers: headers,
            contentLength: contentLength, keepAlive: keepAlive, expectsContinue: expects)
    }
}
