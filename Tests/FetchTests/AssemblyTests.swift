import Testing

@testable import prty_fetch

/// The DAG checks and limits, on hand-made nodes.
struct AssemblyTests {
    static func node(
        _ links: [(CID, UInt64)], data: [UInt8]? = nil, fileSize: UInt64? = nil,
        kind: UnixFSData.Kind = .file
    ) -> [UInt8] {
        let unixfs = UnixFSData(kind: kind, data: data, fileSize: fileSize, blockSizes: links.map(\.1))
        return DagPBNode(links: links.map { .init(cid: $0.0, name: [], size: $0.1) }, data: unixfs.encoded()).encoded()
    }

    static func consume(_ assembly: inout Assembly, _ block: [UInt8]) throws -> [UInt8] {
        try block.withUnsafeBytes { bytes in Array(bytes[try assembly.consume(bytes)]) }
    }

    @Test func reassemblesInOrderWithOwnData() throws {
        let a = Array("abc".utf8)
        let b = Array("de".utf8)
        let leafA = CID.of(a, codec: .raw, version: .v1)
        let leafB = CID.of(b, codec: .raw, version: .v1)
        let rootBlock = Self.node([(leafA, 3), (leafB, 2)], data: Array("<".utf8), fileSize: 6)
        let root = CID.of(rootBlock, codec: .dagPB, version: .v1)
        var assembly = Assembly(root: root, limits: .init(maxSize: 100))
        #expect(try Self.consume(&assembly, rootBlock) == Array("<".utf8))
        #expect(assembly.declaredSize == 6)
        #expect(assembly.upcoming(5) == [leafA, leafB])
        #expect(try Self.consume(&assembly, a) == a)
        #expect(try Self.consume(&assembly, b) == b)
        #expect(assembly.isComplete)
    }

    /// Any dag-pb CID will do as a root: the assembly trusts its caller to have verified the blocks.
    static let node = CID.of(Array("node".utf8), codec: .dagPB, version: .v1)

    @Test func refusesSizesThatDisagree() throws {
        let a = Array("abc".utf8)
        let leaf = CID.of(a, codec: .raw, version: .v1)
        // The parent says 4 bytes; the leaf holds 3.
        var wrongChild = Assembly(root: Self.node, limits: .init(maxSize: 100))
        _ = try Self.consume(&wrongChild, Self.node([(leaf, 4)], fileSize: 4))
        #expect(throws: FetchError.self) { try Self.consume(&wrongChild, a) }
        // filesize disagrees with blocksizes.
        var wrongTotal = Assembly(root: Self.node, limits: .init(maxSize: 100))
        #expect(throws: FetchError.self) { try Self.consume(&wrongTotal, Self.node([(leaf, 3)], fileSize: 9)) }
    }

    @Test func refusesBombsAndNonFiles() throws {
        let leaf = CID.of(Array("x".utf8), codec: .raw, version: .v1)
        // Declares more than --max-size before a single child is fetched.
        var big = Assembly(root: Self.node, limits: .init(maxSize: 1000))
        #expect(throws: FetchError.self) {
            try Self.consume(&big, Self.node(Array(repeating: (leaf, 1 << 40), count: 174)))
        }
        // Deeper than allowed.
        var deep = Assembly(root: Self.node, limits: .init(maxSize: 1 << 20, maxDepth: 2))
        let chain = Self.node([(Self.node, 1)], fileSize: 1)
        _ = try Self.consume(&deep, chain)
        _ = try Self.consume(&deep, chain)
        #expect(throws: FetchError.self) { try Self.consume(&deep, chain) }
        // Too many links in one node.
        var wide = Assembly(root: Self.node, limits: .init(maxSize: 1 << 20, maxLinks: 3))
        #expect(throws: FetchError.self) { try Self.consume(&wide, Self.node(Array(repeating: (leaf, 1), count: 4))) }
        // Empty nodes that claim nothing: bounded by the block count.
        var empty = Assembly(root: Self.node, limits: .init(maxSize: 1 << 20, maxBlocks: 5))
        let nothing = DagPBNode(
            links: Array(repeating: .init(cid: leaf, name: [], size: nil), count: 10),
            data: UnixFSData(kind: .file).encoded()
        ).encoded()
        _ = try Self.consume(&empty, nothing)
        #expect(throws: FetchError.self) { for _ in 0..<10 { _ = try Self.consume(&empty, Array("x".utf8)) } }
        // A directory is not a file.
        var directory = Assembly(root: Self.node, limits: .init(maxSize: 100))
        #expect {
            try Self.consume(&directory, Self.node([], kind: .directory))
        } throws: { error in
            "\(error)".contains("is a UnixFS directory, not a file")
        }
    }
}

struct GatewayTests {
    @Test(arguments: [
        ("https://ipfs.io", "https://ipfs.io"), ("https://ipfs.io/", "https://ipfs.io"),
        ("https://ipfs.io/ipfs/", "https://ipfs.io"), ("HTTP://Example.COM:8080/ipfs", "http://example.com:8080"),
        ("file:///srv/blocks", "file:///srv/blocks"), ("  https://dweb.link  ", "https://dweb.link"),
    ])
    func parses(text: String, shown: String) throws {
        #expect(try Gateway(parsing: text).description == shown)
    }

    @Test(arguments: ["ftp://x", "https://", "ipfs.io", "https://ipfs.io/some/path", "https://x?y=1", "file://"])
    func refuses(text: String) {
        #expect(throws: FetchError.self) { try Gateway(parsing: text) }
    }

    @Test func requestsFollowTheTrustlessSpec() throws {
        let gateway = try Gateway(parsing: "https://gw.example")
        let cid = try CID(CIDTests.helloRaw)
        let block = try #require(gateway.blockRequest(cid, timeout: 5, maxBytes: 100))
        #expect(block.url == "https://gw.example/ipfs/\(CIDTests.helloRaw)?format=raw")
        #expect(block.headers["Accept"] == "application/vnd.ipld.raw")
        #expect(block.maxResponseBytes == 100)
        let car = try #require(gateway.carRequest(cid, timeout: 5))
        #expect(car.url == "https://gw.example/ipfs/\(CIDTests.helloRaw)?format=car&dag-scope=entity")
        #expect(car.headers["Accept"]?.hasPrefix("application/vnd.ipld.car") == true)
        #expect(car.idleTimeout == 5)
    }

    @Test func heliaScoring() async throws {
        let pool = GatewayPool(
            try ["https://a", "https://b", "https://c", "file:///x"].map { try Gateway(parsing: $0) })
        #expect(await pool.ranked() == [3, 0, 1, 2])  // local first, then untried in order
        await pool.began(0)
        await pool.failed(0)  // 0 / (1 + 3)
        await pool.began(1)
        await pool.succeeded(1, seconds: 0.1)  // 1 / 1
        #expect(await pool.ranked() == [3, 1, 2, 0])
        await pool.ban(1, reason: "lied")
        #expect(await pool.ranked() == [3, 2, 0])
        #expect(await pool.record(1).reliability == -.infinity)
        #expect(await pool.hedgeDelay(2, cap: 10) == 2)
        #expect(abs(await pool.hedgeDelay(1, cap: 10) - 0.4) < 1e-9)
    }
}
