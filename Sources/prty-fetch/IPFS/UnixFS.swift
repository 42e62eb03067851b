/// The UnixFS `Data` message carried in a dag-pb node's Data field (ipfs/specs UNIXFS.md):
/// `Type = 1; Data = 2; filesize = 3; repeated blocksizes = 4; hashType = 5; fanout = 6; mode = 7; mtime = 8`.
/// Files are what prty-fetch reassembles; the other types are recognised so errors can name them.
struct UnixFSData: Sendable, Equatable {
    enum Kind: UInt64, Sendable {
        case raw = 0
        case directory = 1
        case file = 2
        case metadata = 3
        case symlink = 4
        case hamtShard = 5

        var name: String {
            switch self {
            case .raw: "raw"
            case .directory: "directory"
            case .file: "file"
            case .metadata: "metadata"
            case .symlink: "symlink"
            case .hamtShard: "HAMT-sharded directory"
            }
        }
    }

    var kind: Kind
    var data: [UInt8]?
    var fileSize: UInt64?
    var blockSizes: [UInt64]

    init(kind: Kind, data: [UInt8]? = nil, fileSize: UInt64? = nil, blockSizes: [UInt64] = []) {
        self.kind = kind
        self.data = data
        self.fileSize = fileSize
        self.blockSizes = blockSizes
    }

    /// Decodes the message. Fields this tool does not use (mode, mtime, …) are skipped, as protobuf allows.
    init(decoding bytes: [UInt8]) throws(FetchError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(FetchError) -> UnixFSData in
                var (decoded, range) = try Self.parse(buffer)
                decoded.data = range.map { Array(buffer[$0]) }
                return decoded
            }
        }
        self = try result.get()
    }

    /// Decodes the message without copying its Data field: `data` is left nil and its place in `bytes` returned.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(FetchError) -> (UnixFSData, Range<Int>?) {
        var kind: Kind? = nil
        var data: Range<Int>? = nil
        var fileSize: UInt64? = nil
        var blockSizes = [UInt64]()
        var offset = 0
        while offset < bytes.count {
            let key = try varint(bytes, &offset)
            let field = key >> 3
            let wire = key & 7
            switch (field, wire) {
            case (1, 0):
                let code = try varint(bytes, &offset)
                guard let known = Kind(rawValue: code) else { throw .unixFS("unknown UnixFS type \(code)") }
                kind = known
            case (2, 2):
                data = try payload(bytes, &offset)
            case (3, 0):
                fileSize = try varint(bytes, &offset)
            case (4, 0):
                blockSizes.append(try varint(bytes, &offset))
            case (4, 2):  // packed
                let range = try payload(bytes, &offset)
                let packed = UnsafeRawBufferPointer(rebasing: bytes[range])
                var cursor = 0
                while cursor < packed.count { blockSizes.append(try varint(packed, &cursor)) }
            case (_, 0):
                _ = try varint(bytes, &offset)
            case (_, 1):
                guard bytes.count - offset >= 8 else { throw .unixFS("a field runs past the end") }
                offset += 8
            case (_, 2):
                _ = try payload(bytes, &offset)
            case (_, 5):
                guard bytes.count - offset >= 4 else { throw .unixFS("a field runs past the end") }
                offset += 4
            default:
                throw .unixFS("field \(field) has the unknown wire type \(wire)")
            }
        }
        guard let kind else { throw .unixFS("no Type field") }
        return (UnixFSData(kind: kind, fileSize: fileSize, blockSizes: blockSizes), data)
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(FetchError) -> UInt64 {
        do {
            return try Varint.read(bytes, at: &offset, maxBytes: 10, strict: false)
        } catch {
            throw .unixFS("a bad protobuf varint (\(error))")
        }
    }

    private static func payload(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(FetchError) -> Range<Int> {
        let length = try varint(bytes, &offset)
        guard length <= UInt64(bytes.count - offset) else { throw .unixFS("a field runs past the end") }
        let range = offset..<(offset + Int(length))
        offset += Int(length)
        return range
    }

    /// The encoding kubo writes: Type, Data (when present), filesize, then each blocksize unpacked.
    func encoded() -> [UInt8] {
        var out: [UInt8] = [0x08]
        Varint.write(kind.rawValue, to: &out)
        if let data {
            out.append(0x12)
            Varint.write(UInt64(data.count), to: &out)
            out += data
        }
        if let fileSize {
            out.append(0x18)
            Varint.write(fileSize, to: &out)
        }
        for size in blockSizes {
            out.append(0x20)
            Varint.write(size, to: &out)
        }
        return out
    }
}
