import Foundation
import Shared

/// One place blocks come from: an IPFS trustless gateway (an `http(s)://` origin; a trailing `/ipfs/` is
/// tolerated) or a local block store (`file://DIR`, see `BlockStore`). Requests follow ipfs/specs
/// `trustless-gateway.md`: a block is `GET /ipfs/{cid}?format=raw`, a whole file a CARv1 from
/// `GET /ipfs/{cid}?format=car&dag-scope=entity`; both send the matching `Accept` header too, as the spec asks.
struct Gateway: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case http(origin: String)
        case local(BlockStore)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// Parses what a person writes: `https://host[:port][/ipfs/]`, `http://127.0.0.1:8080`, `file:///srv/blocks`,
    /// `file://~/blocks`. Anything else is refused with a message saying what a gateway looks like.
    init(parsing text: String) throws(FetchError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("file://") {
            let path = String(trimmed.dropFirst(7))
            guard !path.isEmpty else { throw .gateway(text, "file:// needs a directory, e.g. file:///srv/blocks") }
            kind = .local(BlockStore(directory: LocalPath.expand(path)))
            return
        }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw .gateway(
                text,
                "a gateway is an http(s):// origin such as https://trustless-gateway.link, "
                    + "or file://DIR for a local block store")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw .gateway(text, "a gateway URL takes no query, fragment or user name")
        }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/ipfs") { path.removeLast(5) }
        guard path.isEmpty else {
            throw .gateway(text, "a gateway is an origin; drop the path '\(components.path)'")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .gateway(text, "the port must be in 1...65535, got \(port)")
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let shownHost = host.contains(":") ? "[\(host)]" : host
        kind = .http(origin: "\(scheme)://\(shownHost.lowercased())\(port)")
    }

    var description: String {
        switch kind {
        case .http(let origin): origin
        case .local(let store): "file://\(store.directory)"
        }
    }

    var isLocal: Bool { if case .local = kind { true } else { false } }

    /// `GET {origin}/ipfs/{cid}?format=raw`: one block, which the caller verifies.
    func blockRequest(_ cid: CID, timeout: Double, maxBytes: Int) -> HTTPRequest? {
        guard case .http(let origin) = kind else { return nil }
        var request = HTTPRequest(
            .get, "\(origin)/ipfs/\(cid)?format=raw",
            headers: ["Accept": "application/vnd.ipld.raw"])
        request.timeout = timeout
        request.connectTimeout = min(timeout, 10)
        request.maxResponseBytes = maxBytes
        request.retry = .none  // failing over to the next gateway beats retrying this one
        return request
    }

    /// `GET {origin}/ipfs/{cid}?format=car&dag-scope=entity`: the file's whole DAG, depth-first, as CARv1.
    /// A large file takes long, so there is no total timeout; `timeout` bounds the wait for each byte instead.
    func carRequest(_ cid: CID, timeout: Double) -> HTTPRequest? {
        guard case .http(let origin) = kind else { return nil }
        var request = HTTPRequest(
            .get, "\(origin)/ipfs/\(cid)?format=car&dag-scope=entity",
            headers: ["Accept": "application/vnd.ipld.car; version=1; order=dfs; dups=n"])
        request.timeout = 7 * 24 * 3600
        request.idleTimeout = max(1, timeout.rounded(.up))
        request.connectTimeout = min(timeout, 10)
        request.maxResponseBytes = nil
        request.retry = .none
        return request
    }
}
