/// The last blocks used, up to a byte budget, so a block that repeats in a DAG (the chunks of a run of zeros)
/// is fetched once even without the disk cache. Least recently used first out.
struct RecentBlocks {
    private var blocks: [Multihash: (block: [UInt8], used: Int)] = [:]
    private var clock = 0
    private var bytes = 0
    let budget: Int

    init(budget: Int) { self.budget = budget }

    mutating func get(_ multihash: Multihash) -> [UInt8]? {
        guard let entry = blocks[multihash] else { return nil }
        clock += 1
        blocks[multihash] = (entry.block, clock)
        return entry.block
    }

    func contains(_ multihash: Multihash) -> Bool { blocks[multihash] != nil }

    mutating func put(_ multihash: Multihash, _ block: [UInt8]) {
        guard block.count <= budget, blocks[multihash] == nil else { return }
        clock += 1
        blocks[multihash] = (block, clock)
        bytes += block.count
        while bytes > budget, let oldest = blocks.min(by: { $0.value.used < $1.value.used }) {
            bytes -= oldest.value.block.count
            blocks[oldest.key] = nil
        }
    }
}
