/// Reassembles a UnixFS file from verified blocks, depth-first, and refuses DAG bombs. Pure: no I/O, no clock.
/// `Retrieval` asks it which block comes next (and which follow, to prefetch), hands it each block once verified
/// against its CID, and writes out the content range it returns.
///
/// Checks on the way: every node is a UnixFS file (or raw) node; a node's `filesize` equals its own data plus
/// its `blocksizes`, and each child holds exactly the size its parent declared; the declared and the actual total
/// stay within `maxSize`; links per node, depth and blocks visited stay within their limits.
struct Assembly {
    struct Limits: Sendable {
        /// Content bytes (`--max-size`).
        var maxSize: UInt64
        var maxDepth = 64
        var maxLinks = 10_000
        /// Blocks visited, repeats included: bounds a DAG of empty nodes that claims no size at all.
        var maxBlocks: Int

        init(maxSize: UInt64, maxDepth: Int = 64, maxLinks: Int = 10_000, maxBlocks: Int? = nil) {
            self.maxSize = maxSize
            self.maxDepth = maxDepth
            self.maxLinks = maxLinks
            self.maxBlocks = maxBlocks ?? Int(min(UInt64(Int.max / 2), 10_000 + maxSize / 1024))
        }
    }

    private struct Item {
        let cid: CID
        let depth: Int
        /// The content size the parent declared for this child, if it did.
        let size: UInt64?
    }

    let root: CID
    let limits: Limits
    private var stack: [Item]
    private(set) var emitted: UInt64 = 0
    /// The root's declared size, once the root is read (a raw root declares its block size).
    private(set) var declaredSize: UInt64? = nil
    private(set) var blocksVisited = 0

    init(root: CID, limits: Limits) {
        self.root = root
        self.limits = limits
        stack = [Item(cid: root, depth: 0, size: nil)]
    }

    /// The block needed now; nil once the file is complete.
    var next: CID? { stack.last?.cid }
    var isComplete: Bool { stack.isEmpty }

    /// The blocks needed next, in order, each multihash once (for prefetching), at most `count`.
    func upcoming(_ count: Int) -> [CID] {
        var seen = Set<Multihash>()
        var result = [CID]()
        for item in stack.reversed() {
            guard result.count < count else { break }
            if seen.insert(item.cid.multihash).inserted { result.append(item.cid) }
        }
        return result
    }

    /// Consumes the block of `next`, which the caller has verified against that CID. Returns the range of
    /// `block` that is file content (possibly empty), in file order.
    mutating func consume(_ block: UnsafeRawBufferPointer) throws(FetchError) -> Range<Int> {
        guard let item = stack.popLast() else { throw .badContent("internal: a block after the file was complete") }
        blocksVisited += 1
        guard blocksVisited <= limits.maxBlocks else {
            throw .badContent(
                "\(root) has more than \(limits.maxBlocks) blocks for its size (a DAG bomb?); "
                    + "raise --max-size if the content is genuine")
        }
        switch item.cid.codec {
        case .raw:
            if item.depth == 0 { try declare(UInt64(block.count)) }
            try expect(item, UInt64(block.count))
            try account(block.count)
            return 0..<block.count
        case .dagPB:
            return try consumeNode(item, block)
        }
    }

    private mutating func consumeNode(_ item: Item, _ block: UnsafeRawBufferPointer) throws(FetchError) -> Range<Int> {
        let links: [DagPBNode.Link]
        let dataField: Range<Int>?
        do {
            (links, dataField) = try DagPBNode.parse(block, maxLinks: limits.maxLinks)
        } catch {
            throw .badContent("block \(item.cid) of \(root): \(error)")
        }
        guard let dataField else {
            throw .badContent(
                "block \(item.cid) of \(root) is a dag-pb node without UnixFS data; "
                    + "prty-fetch retrieves UnixFS files")
        }
        let unixfs: UnixFSData
        let content: Range<Int>?
        do {
            let (decoded, inner) = try UnixFSData.parse(UnsafeRawBufferPointer(rebasing: block[dataField]))
            unixfs = decoded
            content = inner.map { (dataField.lowerBound + $0.lowerBound)..<(dataField.lowerBound + $0.upperBound) }
        } catch {
            throw .badContent("block \(item.cid) of \(root): \(error)")
        }
        guard unixfs.kind == .file || unixfs.kind == .raw else {
            let what = unixfs.kind.name
            throw .badContent(
                item.depth == 0
                    ? "\(root) is a UnixFS \(what), not a file; give the CID of a file"
                    : "block \(item.cid) of \(root) is a UnixFS \(what) inside a file")
        }
        let own = UInt64(content?.count ?? 0)
        if !links.isEmpty && !unixfs.blockSizes.isEmpty && unixfs.blockSizes.count != links.count {
            throw .badContent(
                "block \(item.cid) of \(root) has \(links.count) links but "
                    + "\(unixfs.blockSizes.count) block sizes")
        }
        let childSizes = unixfs.blockSizes.count == links.count ? unixfs.blockSizes : []
        var total: UInt64? = nil
        if links.isEmpty || !childSizes.isEmpty {
            var sum = own
            for size in childSizes {
                let (added, overflow) = sum.addingReportingOverflow(size)
                guard !overflow else { throw .badContent("block \(item.cid) of \(root) declares an impossible size") }
                sum = added
            }
            total = sum
        }
        if let fileSize = unixfs.fileSize, let total, fileSize != total {
            throw .badContent("block \(item.cid) of \(root) declares filesize \(fileSize) but holds \(total) bytes")
        }
        let size = total ?? unixfs.fileSize
        if item.depth == 0, let size { try declare(size) }
        if let size { try expect(item, size) }
        if !links.isEmpty {
            guard item.depth < limits.maxDepth else {
                throw .badContent("\(root) is deeper than \(limits.maxDepth) levels (a DAG bomb?)")
            }
            for (index, link) in links.enumerated().reversed() {
                stack.append(
                    Item(cid: link.cid, depth: item.depth + 1, size: childSizes.isEmpty ? nil : childSizes[index]))
            }
        }
        try account(content?.count ?? 0)
        return content ?? 0..<0
    }

    private mutating func declare(_ size: UInt64) throws(FetchError) {
        declaredSize = size
        guard size <= limits.maxSize else {
            throw .badContent(
                "\(root) is \(size) bytes, more than --max-size \(limits.maxSize) allows; "
                    + "raise --max-size (or IPFS_MAX_BYTES) if that is expected")
        }
    }

    private func expect(_ item: Item, _ size: UInt64) throws(FetchError) {
        if let expected = item.size, expected != size {
            throw .badContent("block \(item.cid) of \(root) holds \(size) bytes where its parent declared \(expected)")
        }
    }

    private mutating func account(_ count: Int) throws(FetchError) {
        emitted += UInt64(count)
        guard emitted <= limits.maxSize else {
            throw .badContent(
                "\(root) holds more than --max-size \(limits.maxSize) bytes; "
                    + "raise --max-size (or IPFS_MAX_BYTES) if that is expected")
        }
    }
}
