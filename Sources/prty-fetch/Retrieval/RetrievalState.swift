import Shared

/// What one retrieval has so far: the assembly of the file, verified blocks not yet consumed, the blocks
/// recently used, what the cache lacks, and the failures met. Owned by the retrieval's task; both phases
/// (`Retrieval+CAR.swift`, `Retrieval+Blocks.swift`) hand it verified blocks and let it drain them into the sink.
struct RetrievalState {
    var assembly: Assembly
    /// Verified blocks not yet consumed.
    var available: [Multihash: [UInt8]] = [:]
    var availableBytes = 0
    var recent = RecentBlocks(budget: 32 << 20)
    var cacheMisses = Set<Multihash>()
    var cacheFailed = false
    var summary = Retrieval.Summary()
    var progress: RetrievalProgress
    let cache: BlockCache?
    /// Failures met so far, reported if the retrieval fails.
    var notes: [GatewayFailure] = []
    /// Told the declared size once, when the root has been read.
    var expect: ((UInt64) -> Void)? = nil

    init(root: CID, limits: Assembly.Limits, cache: BlockCache?, log: Log?) {
        assembly = Assembly(root: root, limits: limits)
        self.cache = cache
        progress = RetrievalProgress(root: root.description, log: log)
    }

    /// A verified block for the assembly (kept until consumed) and the cache.
    mutating func receive(_ cid: CID, _ block: [UInt8], source: String, cacheWarning: (String) -> Void) {
        if source == "cache" {
            summary.fromCache += 1
        } else {
            if !summary.gateways.contains(source) { summary.gateways.append(source) }
            if let cache, !cacheFailed, let error = cache.write(cid, block) {
                cacheFailed = true  // one warning, and no more attempts: the cache only saves time
                cacheWarning("\(error)")
            }
        }
        guard available[cid.multihash] == nil else { return }
        available[cid.multihash] = block
        availableBytes += block.count
        progress.gateway = source
    }

    /// Consumes every block the assembly can use now, in order, writing content to `sink`.
    mutating func drain(_ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        while let cid = assembly.next {
            try Interruption.check()
            let multihash = cid.multihash
            let block: [UInt8]
            if cid.isIdentity {
                block = multihash.digest
            } else if let found = available.removeValue(forKey: multihash) {
                availableBytes -= found.count
                block = found
            } else if let found = recent.get(multihash) {
                block = found
            } else if let cache, !cacheMisses.contains(multihash),
                let found = cache.read(cid, maxBytes: Int.max)
            {
                summary.fromCache += 1
                block = found
            } else {
                if cache != nil { cacheMisses.insert(multihash) }
                return
            }
            let range = try block.withUnsafeBytes { try assembly.consume($0) }
            try sink(block[range])  // a slice: the block's storage is shared, not copied
            summary.bytes += UInt64(range.count)
            summary.blocks += 1
            progress.advance(bytes: UInt64(range.count), total: assembly.declaredSize)
            if !cid.isIdentity { recent.put(multihash, block) }
            if let expect, let size = assembly.declaredSize {
                expect(size)
                self.expect = nil
            }
        }
    }

    /// Whether `cid` still has to be fetched.
    func needs(_ cid: CID) -> Bool {
        !cid.isIdentity && available[cid.multihash] == nil && !recent.contains(cid.multihash)
    }
}
