import Foundation
import Shared

/// The local block cache (`IPFS_CACHE_DIR`, default `~/.parity/ipfs`): verified blocks in a `BlockStore` under
/// `blocks/`, so a dataset fetched for round 1 is read locally in round 2. Blocks are verified before they are
/// written and again when read (a damaged file is deleted and fetched anew). Reading a block touches its
/// modification time; `trim()` evicts least recently used blocks until the cache fits `maxBytes`.
/// Several processes may share it: files appear by atomic rename and a vanished file is a miss.
struct BlockCache: Sendable {
    let store: BlockStore
    let maxBytes: Int64

    init(directory: String, maxBytes: Int64) {
        store = BlockStore(directory: directory.hasSuffix("/") ? directory + "blocks" : directory + "/blocks")
        self.maxBytes = maxBytes
    }

    /// The block for `cid`, verified, or nil.
    func read(_ cid: CID, maxBytes: Int) -> [UInt8]? {
        guard let block = try? store.read(cid.multihash, maxBytes: maxBytes) else { return nil }
        let path = store.path(cid.multihash)
        guard cid.verifies(block) else {
            unlink(path)
            return nil
        }
        utimensat(AT_FDCWD, path, nil, 0)  // now: most recently used
        return block
    }

    /// Keeps a block that has been verified against `cid`. Failures (a full disk, a read-only home) are
    /// returned for one warning, never fatal: the cache only saves time.
    func write(_ cid: CID, _ block: [UInt8]) -> FetchError? {
        do {
            try store.write(cid.multihash, block)
            return nil
        } catch {
            return error
        }
    }

    /// Deletes the least recently used blocks until the cache holds at most `maxBytes`. Returns the bytes freed.
    @discardableResult
    func trim() -> Int64 {
        struct Entry {
            let path: String
            let size: Int64
            let used: timespec
        }
        var entries = [Entry]()
        var total: Int64 = 0
        guard let shards = try? FileManager.default.contentsOfDirectory(atPath: store.directory) else { return 0 }
        for shard in shards where shard.count == 2 {
            let folder = "\(store.directory)/\(shard)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names where name.hasSuffix(".data") {
                let path = "\(folder)/\(name)"
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                entries.append(Entry(path: path, size: Int64(info.st_size), used: info.st_mtim))
                total += Int64(info.st_size)
            }
        }
        guard total > maxBytes else { return 0 }
        entries.sort { ($0.used.tv_sec, $0.used.tv_nsec, $0.path) < ($1.used.tv_sec, $1.used.tv_nsec, $1.path) }
        var freed: Int64 = 0
        for entry in entries where total - freed > maxBytes {
            if unlink(entry.path) == 0 { freed += entry.size }
        }
        return freed
    }
}
