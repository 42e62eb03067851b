import Foundation
import Shared
import Testing

@testable import prty_runner

#if canImport(Glibc)
    import Glibc
#endif

/// The webhook's HTTP/1.1 server: the pure head parser, and the real server on 127.0.0.1 through raw sockets.
struct HTTPServerTests {
    @Test func parsesHead() throws {
        let text = "POST /webhook?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nX-Device-ID: ab\r\n\r\n"
        let head = try RequestHead.parse(ArraySlice(Array(text.utf8)))
        #expect(head.method == "POST")
        #expect(head.target == "/webhook?x=1")
        #expect(head.contentLength == 12)
        #expect(head.keepAlive)
        #expect(head.headers["x-device-id"] == "ab")
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("POST /webhook HTTP/2.0\r\n\r\n", 505),
        ("POST /webhook HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST /webhook HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("POST /webhook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        ("POST /webhook HTTP/1.1\r\nbad header\r\n\r\n", 400),
        ("post /webhook HTTP/1.1\r\n\r\n", 400),
    ])
    func refusesBadHeads(text: String, status: Int) {
        #expect(throws: RequestHead.Failure.self) { try RequestHead.parse(ArraySlice(Array(text.utf8))) }
        do {
            _ = try RequestHead.parse(ArraySlice(Array(text.utf8)))
        } catch {
            #expect(error.status == status)
        }
    }

    @Test func http10ClosesByDefault() throws {
        let head = try RequestHead.parse(ArraySlice(Array("GET / HTTP/1.0\r\n\r\n".utf8)))
        #expect(!head.keepAlive)
    }

    @Test func servesKeepAliveRequestsOnOneConnection() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
            .text(200, "\(request.method) \(request.path) \(request.body.count)")
        }
        server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        client.write("POST /webhook HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        #expect(client.readResponse().hasSuffix("POST /webhook 3"))
        client.write("GET /x HTTP/1.1\r\n\r\n")
        let second = client.readResponse()
        #expect(second.hasPrefix("HTTP/1.1 200 OK"))
        #expect(second.hasSuffix("GET /x 0"))
    }

    @Test func refusesOversizedBodyAndHead() throws {
        var limits = HTTPServer.Limits()
        limits.maxBodyBytes = 10
        limits.maxHeaderBytes = 256
        let server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits) { _ in .text(200, "ok") }
        server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.write("POST /webhook HTTP/1.1\r\nContent-Length: 11\r\n\r\n")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 413"))
        client.close()
        let other = try RawClient(port: server.port)
        other.write("POST /webhook HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 400))\r\n\r\n")
        #expect(other.readResponse().hasPrefix("HTTP/1.1 431"))
        other.close()
    }

    @Test func slowClientTimesOut() throws {
        var limits = HTTPServer.Limits()
        limits.headerTimeout = 0.3
        limits.bodyTimeout = 0.3
        let server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits) { _ in .text(200, "ok") }
        server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        client.write("POST /webhook HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")  // 3 body bytes never come
        let started = Date()
        #expect(client.readResponse().hasPrefix("HTTP/1.1 408"))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func boundsConnections() throws {
        var limits = HTTPServer.Limits()
        limits.maxConnections = 1
        let server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits) { _ in .text(200, "ok") }
        server.start()
        defer { server.stop() }
        let first = try RawClient(port: server.port)
        defer { first.close() }
        first.write("GET / HTTP/1.1\r\n\r\n")
        #expect(first.readResponse().hasPrefix("HTTP/1.1 200"))  // the first holds its (keep-alive) slot
        let second = try RawClient(port: server.port)
        defer { second.close() }
        #expect(second.readResponse().hasPrefix("HTTP/1.1 503"))
    }

    @Test func answersExpectContinue() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
            .text(200, String(decoding: request.body, as: UTF8.self))
        }
        server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        client.write("POST /webhook HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(client.readResponse(untilBlankLine: true).hasPrefix("HTTP/1.1 100 Continue"))
        client.write("hi")
        #expect(client.readResponse().hasSuffix("\r\n\r\nhi"))
    }
}

/// A blocking TCP client for raw HTTP bytes, with a read timeout.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw DataError("connect failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func write(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// One response: the head, then `Content-Length` bytes of body (or just the head).
    func readResponse(untilBlankLine: Bool = false) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1)
        while true {
            let count = recv(fd, &chunk, 1, 0)
            if count <= 0 { break }
            bytes.append(chunk[0])
            if let end = HTTPServer.headEnd(in: bytes) {
                if untilBlankLine { break }
                let head = String(decoding: bytes[..<end], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if bytes.count - end >= length { break }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
