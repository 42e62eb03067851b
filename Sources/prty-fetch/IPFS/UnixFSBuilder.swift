import Shared

/// The DAG `ipfs add` builds for a file, with kubo's defaults: 256 KiB chunks (`size-262144`), the
/// balanced layout with at most 174 links per node, CIDv0 with dag-pb leaves, or with `--cid-version 1`
/// CIDv1 and raw leaves. The same bytes give the same root CID as kubo (checked against published vectors
/// and Debian's `ipfs_cid`).
struct UnixFSBuilder {
    static let chunkSize = 262_144
    static let maxLinks = 174

    let cidVersion: CID.Version
    /// Leaves as raw blocks (kubo's default with CIDv1) rather than UnixFS dag-pb nodes. CIDv0 cannot have them.
    let rawLeaves: Bool

    init(cidVersion: CID.Version, rawLeaves: Bool? = nil) {
        self.cidVersion = cidVersion
        self.rawLeaves = cidVersion == .v1 && (rawLeaves ?? true)
    }

    /// One node of the finished DAG.
    struct Node: Sendable {
        let cid: CID
        /// File bytes below this node.
        let fileSize: UInt64
        /// Bytes of every block below and including this one (the dag-pb link's Tsize).
        let cumulativeSize: UInt64
        /// Children, for internal nodes; empty for leaves.
        let children: [Int]
        /// Internal nodes keep their block; leaves are re-made from the content when written out.
        let block: [UInt8]?
        /// For a leaf: where its chunk lies in the content.
        let range: Range<Int>
    }

    /// The DAG over one piece of content: `nodes[root]` is the root, children before parents.
    struct DAG: Sendable {
        let nodes: [Node]
        let root: Int
        var rootCID: CID { nodes[root].cid }
        var blockCount: Int { nodes.count }
        var blockBytes: UInt64 { nodes[root].cumulativeSize }
    }

    /// Hashes every chunk (spread over the cores) and builds the balanced tree above them.
    func build(_ content: UnsafeRawBufferPointer) -> DAG {
        let chunkCount = max(1, (content.count + Self.chunkSize - 1) / Self.chunkSize)
        var leafCIDs = [CID?](repeating: nil, count: chunkCount)
        let rawLeaves = rawLeaves
        let version = cidVersion
        Parallel.forEach(chunkCount) { index in
            let chunk = UnsafeRawBufferPointer(rebasing: content[Self.chunkRange(index, content.count)])
            return Self.leafCID(chunk, rawLeaves: rawLeaves, version: version)
        } into: { index, cid in
            leafCIDs[index] = cid
        }
        var nodes = [Node]()
        nodes.reserveCapacity(chunkCount + chunkCount / (Self.maxLinks - 1) + 2)
        var level = [Int]()
        for (index, cid) in leafCIDs.enumerated() {
            let range = Self.chunkRange(index, content.count)
            let blockSize =
                rawLeaves
                ? range.count
                : Self.leafPrefix(range.count).count + range.count
                    + Self.leafSuffix(range.count).count
            nodes.append(
                Node(
                    cid: cid!, fileSize: UInt64(range.count), cumulativeSize: UInt64(blockSize),
                    children: [], block: nil, range: range))
            level.append(index)
        }
        while level.count > 1 {
            var next = [Int]()
            for start in stride(from: 0, to: level.count, by: Self.maxLinks) {
                let group = Array(level[start..<min(start + Self.maxLinks, level.count)])
                let sizes = group.map { nodes[$0].fileSize }
                let data = UnixFSData(kind: .file, fileSize: sizes.reduce(0, +), blockSizes: sizes)
                let links = group.map {
                    DagPBNode.Link(cid: nodes[$0].cid, name: [], size: nodes[$0].cumulativeSize)
                }
                let block = DagPBNode(links: links, data: data.encoded()).encoded()
                let cid = CID.of(block, codec: .dagPB, version: cidVersion)
                let below = group.reduce(UInt64(0)) { $0 + nodes[$1].cumulativeSize }
                nodes.append(
                    Node(
                        cid: cid, fileSize: sizes.reduce(0, +), cumulativeSize: UInt64(block.count) + below,
                        children: group, block: block, range: 0..<0))
                next.append(nodes.count - 1)
            }
            level = next
        }
        return DAG(nodes: nodes, root: level[0])
    }

    /// Visits every block depth-first from the root (the order of `ipfs dag export` and of a gateway's CAR),
    /// re-making leaf blocks from `content`.
    func forEachBlock(
        _ dag: DAG, _ content: UnsafeRawBufferPointer,
        _ body: (CID, [UInt8]) throws -> Void
    ) rethrows {
        var stack = [dag.root]
        while let index = stack.popLast() {
            let node = dag.nodes[index]
            if let block = node.block {
                try body(node.cid, block)
                stack.append(contentsOf: node.children.reversed())
            } else {
                try body(node.cid, leafBlock(UnsafeRawBufferPointer(rebasing: content[node.range])))
            }
        }
    }

    func leafBlock(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        if rawLeaves { return Array(chunk) }
        return Self.leafPrefix(chunk.count) + Array(chunk) + Self.leafSuffix(chunk.count)
    }

    static func chunkRange(_ index: Int, _ total: Int) -> Range<Int> {
        (index * chunkSize)..<min((index + 1) * chunkSize, total)
    }

    /// A dag-pb leaf is `PBNode{Data: UnixFS{Type: file, Data: chunk, filesize}}`: the chunk sits between
    /// a prefix and a suffix, so it can be hashed in place without building the block.
    /// kubo writes the empty file as a UnixFS file without a Data field (QmbFMke1…), the only empty chunk.
    static func leafPrefix(_ count: Int) -> [UInt8] {
        if count == 0 { return [0x0A, 0x04, 0x08, 0x02] }
        let inner = 2 + 1 + Varint.size(UInt64(count)) + count + 1 + Varint.size(UInt64(count))
        var out: [UInt8] = [0x0A]
        Varint.write(UInt64(inner), to: &out)
        out += [0x08, 0x02, 0x12]
        Varint.write(UInt64(count), to: &out)
        return out
    }

    static func leafSuffix(_ count: Int) -> [UInt8] {
        [0x18] + Varint.encode(UInt64(count))
    }

    static func leafCID(_ chunk: UnsafeRawBufferPointer, rawLeaves: Bool, version: CID.Version) -> CID {
        if rawLeaves { return CID.of(chunk, codec: .raw, version: .v1) }
        var hasher = SHA256()
        hasher.update(leafPrefix(chunk.count))
        hasher.update(chunk)
        hasher.update(leafSuffix(chunk.count))
        return CID.sha256(hasher.finalize(), codec: .dagPB, version: version)
    }
}
