import Foundation
import Shared

/// An HTTPS peer for TLS tests (`peers/tls_server.py`, standard-library Python) with a fresh self-signed
/// certificate for `IP:127.0.0.1`, made by the `openssl` command line in a temporary directory. It answers every
/// request with 200 `hello over tls <path>`. A client that verifies certificates must refuse it unless told to
/// trust `certificate`. Stop it with `stop()` (SIGKILL, by pid); the directory is removed too.
public final class TLSTestServer: Sendable {
    public let port: Int
    /// The server's certificate (PEM): pass it as the CA bundle to trust this server.
    public let certificate: String
    private let directory: URL
    private let process: PeerProcess

    /// `https://127.0.0.1:PORT` + path.
    public func url(_ path: String = "/") -> String { "https://127.0.0.1:\(port)\(path)" }

    /// `init` on a thread of its own: starting blocks (openssl, waiting for the port), and an async test must not
    /// hold one of the cooperative pool's few threads meanwhile.
    public static func start(timeout: TimeInterval = 30) async throws -> TLSTestServer {
        try await offload { try TLSTestServer(timeout: timeout) }
    }

    /// Makes the certificate, starts the peer and waits (at most `timeout` seconds) for it to announce its port.
    public init(timeout: TimeInterval = 30) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        certificate = cert
        let openssl = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
            ],
            timeout: timeout)
        guard openssl.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw PeerError("openssl could not make a test certificate (apt package openssl):\n\(openssl.stderr)")
        }

        do {
            process = try PeerProcess.python(
                "the TLS test server", script: "tls_server.py", [cert, key], stderr: .inherit)
            struct Announcement: Decodable { let port: Int }
            port = try process.announcement(Announcement.self, timeout: timeout).port
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit { stop() }

    /// Stops the peer (SIGKILL by pid: it keeps no state worth a clean shutdown), waits for it and removes the
    /// certificate. Safe to call twice.
    public func stop() {
        process.stop(signal: SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}
