import Foundation
import Shared
import Synchronization

@testable import prty_fetch

/// Gateways in memory behind the `HTTPClient` seam: each origin serves one set of blocks with a behaviour
/// (honest, lying, failing, slow), and every request is recorded.
final class FakeGateways: Sendable {
    enum Behaviour: Sendable {
        case honest
        case status(Int)
        case refused
        /// Flips a byte of every block it serves (raw and CAR).
        case corrupt
        /// Waits this long before answering.
        case slow(Double)
        /// CARs end in the middle of their last section; raw blocks are fine.
        case truncatedCAR
        /// CARs carry one block that is not in the DAG.
        case extraBlockCAR
        /// CAR requests get 406; raw blocks are fine.
        case rawOnly
    }

    struct Request: Sendable, Equatable {
        let origin: String
        let cid: String
        let format: String
    }

    let blocks: [Multihash: [UInt8]]
    let behaviours: [String: Behaviour]
    private let log = Mutex<[Request]>([])

    init(blocks: [Multihash: [UInt8]], behaviours: [String: Behaviour]) {
        self.blocks = blocks
        self.behaviours = behaviours
    }

    /// `content` chunked as `ipfs add` does: the root and every block.
    static func dag(_ content: [UInt8], version: CID.Version = .v0) -> (CID, [Multihash: [UInt8]], [(CID, [UInt8])]) {
        let builder = UnixFSBuilder(cidVersion: version)
        var blocks = [Multihash: [UInt8]]()
        var ordered = [(CID, [UInt8])]()
        let root = content.withUnsafeBytes { bytes -> CID in
            let dag = builder.build(bytes)
            builder.forEachBlock(dag, bytes) { cid, block in
                blocks[cid.multihash] = block
                ordered.append((cid, block))
            }
            return dag.rootCID
        }
        return (root, blocks, ordered)
    }

    var requests: [Request] { log.withLock { $0 } }

    func requests(to origin: String) -> [Request] { requests.filter { $0.origin == origin } }

    var client: HTTPClient {
        HTTPClient { [self] request in try await self.answer(request) }
    }

    private func answer(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let range = request.url.range(of: "/ipfs/") else { return HTTPResponse(status: 400) }
        let origin = String(request.url[..<range.lowerBound])
        let rest = request.url[range.upperBound...]
        let text = String(rest.prefix { $0 != "?" })
        let format = request.url.contains("format=car") ? "car" : request.url.contains("format=raw") ? "raw" : ""
        log.withLock { $0.append(Request(origin: origin, cid: text, format: format)) }
        let behaviour = behaviours[origin] ?? .refused
        switch behaviour {
        case .refused: throw HTTPError.connectionRefused(url: request.url)
        case .status(let code): return HTTPResponse(status: code, body: Data("no".utf8))
        case .slow(let seconds): try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        default: break
        }
        guard let cid = try? CID(text), let block = blocks[cid.multihash] else {
            return HTTPResponse(status: 404, body: Data("not found".utf8))
        }
        let corrupt = { (bytes: [UInt8]) -> [UInt8] in
            guard case .corrupt = behaviour, !bytes.isEmpty else { return bytes }
            var copy = bytes
            copy[copy.count / 2] ^= 1
            return copy
        }
        if format == "raw" {
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "application/vnd.ipld.raw"],
                body: Data(corrupt(block)))
        }
        if case .rawOnly = behaviour { return HTTPResponse(status: 406) }
        var car = CARWriter.header(roots: [cid])
        var sections = [(CID, [UInt8])]()
        var stack = [cid]
        var seen = Set<Multihash>()
        while let next = stack.popLast() {
            guard seen.insert(next.multihash).inserted, let bytes = blocks[next.multihash] else { continue }
            sections.append((next, bytes))
            if next.codec == .dagPB, let node = try? DagPBNode(decoding: bytes) {
                stack.append(contentsOf: node.links.map(\.cid).reversed())
            }
        }
        if case .extraBlockCAR = behaviour {
            let extra = Array("not in this DAG".utf8)
            sections.insert((CID.of(extra, codec: .raw, version: .v1), extra), at: 1)
        }
        for (id, bytes) in sections { car += CARWriter.section(id, corrupt(bytes)) }
        if case .truncatedCAR = behaviour { car.removeLast(sections.last!.1.count / 2 + 1) }
        return HTTPResponse(
            status: 200, headers: ["Content-Type": "application/vnd.ipld.car; version=1"],
            body: Data(car))
    }
}
