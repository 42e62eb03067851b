import Foundation

/// A directory of blocks, one file per block, named by its multihash, so a CIDv0 and a CIDv1 of the same
/// bytes find the same file. The layout is kubo's flatfs (`blocks/` in an IPFS repo): the file name is the
/// RFC 4648 base32 of the multihash, upper case, without padding, plus `.data`, in a folder named by the
/// next-to-last two characters (`next-to-last/2`). A kubo repo's `blocks` folder can therefore be read
/// directly (`--gateway file://~/.ipfs/blocks`), and `prty-fetch add --store DIR` writes one.
struct BlockStore: Sendable, Hashable {
    let directory: String
    static let shardingSpec = "/repo/flatfs/shard/v1/next-to-last/2"

    init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    /// The file name for a block: base32 upper of the multihash, as kubo's `dshelp.MultihashToDsKey`.
    static func key(_ multihash: Multihash) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        return String(decoding: Base32.encode(multihash.bytes, alphabet: alphabet), as: UTF8.self)
    }

    func path(_ multihash: Multihash) -> String {
        let key = Self.key(multihash)
        let utf8 = Array(key.utf8)
        let shard = String(decoding: utf8[(utf8.count - 3)..<(utf8.count - 1)], as: UTF8.self)
        return "\(directory)/\(shard)/\(key).data"
    }

    /// Whether the directory exists (a missing `file://` gateway is reported once, up front).
    var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The stored bytes of a block, unverified (`nil` when absent). The caller checks them against the CID.
    func read(_ multihash: Multihash, maxBytes: Int) throws(FetchError) -> [UInt8]? {
        let path = path(multihash)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .blockStore(.io("cannot open \(path): \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .blockStore(.io("cannot stat \(path): \(String(cString: strerror(errno)))"))
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw .blockStore(.tooLarge(path, size, maxBytes)) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .blockStore(.io("cannot read \(path): \(String(cString: strerror(errno)))")) }
            done += count
        }
        return bytes
    }

    /// Stores a block atomically (a temporary file renamed into place), creating folders as needed.
    /// Returns false when the block was already there.
    @discardableResult
    func write(_ multihash: Multihash, _ block: [UInt8]) throws(FetchError) -> Bool {
        let path = path(multihash)
        if access(path, F_OK) == 0 { return false }
        let folder = String(path[..<path.lastIndex(of: "/")!])
        try Self.makeDirectory(directory)
        try Self.makeDirectory(folder)
        let sharding = "\(directory)/SHARDING"
        if access(sharding, F_OK) != 0 {
            try Self.writeFile(sharding, Array((Self.shardingSpec + "\n").utf8))
        }
        try Self.writeFile(path, block)
        return true
    }

    static func makeDirectory(_ path: String) throws(FetchError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT {
                let parent = (path as NSString).deletingLastPathComponent
                if !parent.isEmpty && parent != path {
                    try makeDirectory(parent)
                    if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
                }
            }
            throw .blockStore(.io("cannot create the folder \(path): \(reason)"))
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a reader never
    /// sees half a block and two writers never mix.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(FetchError) {
        var template = Array("\(path).tmp-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw .blockStore(.io("cannot create a file beside \(path): \(String(cString: strerror(errno)))"))
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw .blockStore(.io("cannot write \(path): \(reason)"))
            }
            done += count
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .blockStore(.io("cannot move a block into \(path): \(reason)"))
        }
    }
}
