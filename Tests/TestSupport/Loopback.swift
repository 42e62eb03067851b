import Foundation

/// Plain TCP exchanges with a peer on 127.0.0.1, with no client library between the test and the peer: a
/// minimal HTTP/1.0 GET for the doubles' own control paths, and raw bytes for malformed requests.
public enum Loopback {
    /// Connects to `127.0.0.1:port`, sends `request` and reads until the peer closes the connection or sends
    /// nothing for `timeout` seconds. Nil when it cannot connect or send.
    public static func exchange(port: Int, _ request: [UInt8], timeout: Double = 5) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[..<count]
        }
        return response
    }

    /// `GET path HTTP/1.0`: the status and the body, or nil when there is no complete answer.
    public static func get(port: Int, path: String, timeout: Double = 5) -> (status: Int, body: Data)? {
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard let response = exchange(port: port, request, timeout: timeout).map({ Data($0) }) else { return nil }
        guard let headEnd = response.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: response[..<headEnd.lowerBound], as: UTF8.self)
        let words = head.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, let status = Int(words[1]) else { return nil }
        return (status, Data(response[headEnd.upperBound...]))
    }
}
