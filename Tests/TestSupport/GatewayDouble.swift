import Foundation
import Synchronization

/// The IPFS trustless gateway double (`peers/trustless_gw.py`) as a test peer: a real HTTP server on
/// 127.0.0.1 (a free port), serving the given files as `ipfs add` DAGs, with modes that corrupt blocks,
/// truncate CARs, stall or fail (see the script's docstring). The CIDs it prints come from multiformats +
/// ipld-dag-pb, independently of the Swift code under test.
///
///     let gateway = try GatewayDouble(files: [csv], modes: ["--corrupt", "all"])
///     defer { gateway.stop() }
///     runTool("prty-fetch", [gateway.files[0].v0, "--gateway", gateway.origin, "--no-cache"])
///
/// The interpreter is `PRTY_PYTHON`, else `<package root>/.venv/bin/python` (`make deps` creates it). A missing
/// interpreter or module makes `init` throw: the test fails, it is never skipped.
public final class GatewayDouble: Sendable {
    public struct File: Sendable, Decodable {
        public let path: String
        public let size: Int
        /// CIDv0, dag-pb leaves (`ipfs add`).
        public let v0: String
        /// CIDv1, raw leaves (`ipfs add --cid-version 1`).
        public let v1: String
        /// CIDv1, dag-pb leaves (`ipfs add --cid-version 1 --raw-leaves=false`).
        public let v1_dagpb: String
        public let blocks_v0: Int
        public let blocks_v1: Int
    }

    private struct Announcement: Decodable {
        let port: Int
        let files: [File]
        let bomb: String?
    }

    /// One request the double served (the health probe is not logged).
    public struct Request: Sendable, Decodable {
        public let path: String
        public let format: String
        public let accept: String
        public let scope: String
    }

    public let port: Int
    public let files: [File]
    /// With `--bomb`: a CID whose DAG claims 174^6 chunks.
    public let bomb: String?
    private let process: Mutex<Process?>

    public var origin: String { "http://127.0.0.1:\(port)" }

    public static var python: URL { PeerLaunch.python }

    public static var script: URL { Paths.root.appendingPathComponent("Tests/TestSupport/peers/trustless_gw.py") }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts the double and waits (at most `timeout` seconds) until it answers `GET /ipfs/bafkqaaa`.
    public init(files: [URL], modes: [String] = [], timeout: TimeInterval = 120) throws {
        let python = Self.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw StartError(description: "no Python at \(python.path): run 'make deps' or set PRTY_PYTHON")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [Self.script.path, "--port", "0"] + modes + files.map(\.path)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let fail = { (why: String) -> StartError in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return StartError(description: "the gateway double \(why)\n\(stderr)")
        }
        // The first stdout line announces the port and the CIDs.
        guard let text = PeerLaunch.firstLine(of: output.fileHandleForReading, timeout: timeout) else {
            throw fail("did not announce its port within \(timeout) s")
        }
        let announcement: Announcement
        do {
            announcement = try JSONDecoder().decode(Announcement.self, from: text)
        } catch {
            throw fail("printed an unreadable announcement: \(String(decoding: text, as: UTF8.self))")
        }
        port = announcement.port
        self.files = announcement.files
        bomb = announcement.bomb
        self.process = Mutex(process)

        let deadline = Date().addingTimeInterval(timeout)
        while Self.get(port: announcement.port, path: "/ipfs/bafkqaaa")?.status != 200 {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw StartError(
                    description: "the gateway double on port \(announcement.port) never answered the probe")
            }
            usleep(20_000)
        }
    }

    deinit { stop() }

    /// Stops the double (SIGTERM, then SIGKILL) and waits for it. Safe to call twice.
    public func stop() {
        guard
            let process = self.process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    /// The requests served so far, in order.
    public func requests() throws -> [Request] {
        guard let response = Self.get(port: port, path: "/_log"), response.status == 200 else {
            throw StartError(description: "the gateway double on port \(port) did not return its log")
        }
        return try JSONDecoder().decode([Request].self, from: response.body)
    }

    /// A minimal blocking HTTP/1.0 GET over loopback (no client library between the test and the double).
    public static func get(port: Int, path: String, timeout: Double = 5) -> (status: Int, body: Data)? {
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
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: buffer[..<count])
        }
        let separator = Data("\r\n\r\n".utf8)
        guard let headEnd = response.range(of: separator) else { return nil }
        let head = String(decoding: response[..<headEnd.lowerBound], as: UTF8.self)
        let words = head.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, let status = Int(words[1]) else { return nil }
        return (status, Data(response[headEnd.upperBound...]))
    }
}
