import Foundation

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
    private let process: PeerProcess

    public var origin: String { "http://127.0.0.1:\(port)" }

    public static var python: URL { PeerLaunch.python }

    /// Starts the double and waits (at most `timeout` seconds) until it answers `GET /ipfs/bafkqaaa`.
    public init(files: [URL], modes: [String] = [], timeout: TimeInterval = 120) throws {
        process = try PeerProcess.python(
            "the gateway double", script: "trustless_gw.py", ["--port", "0"] + modes + files.map(\.path))
        // The first stdout line announces the port and the CIDs.
        let announcement = try process.announcement(Announcement.self, timeout: timeout)
        port = announcement.port
        self.files = announcement.files
        bomb = announcement.bomb
        try process.waitUntil("on port \(announcement.port) never answered the probe", timeout: timeout) {
            Loopback.get(port: announcement.port, path: "/ipfs/bafkqaaa")?.status == 200
        }
    }

    /// Stops the double (SIGTERM, then SIGKILL) and waits for it. Safe to call twice.
    public func stop() { process.stop() }

    /// The requests served so far, in order.
    public func requests() throws -> [Request] {
        guard let response = Loopback.get(port: port, path: "/_log"), response.status == 200 else {
            throw PeerError("the gateway double on port \(port) did not return its log")
        }
        return try JSONDecoder().decode([Request].self, from: response.body)
    }
}
