/// CARv1 (ipld/specs transport/car/carv1): `varint(len) ‖ DAG-CBOR header {roots, version: 1}` followed by
/// sections `varint(len) ‖ CID ‖ block`. `CARReader` takes the stream in whatever pieces the network
/// delivers and hands back whole sections; it checks framing only. Hashes and DAG completeness are the
/// caller's job (`Retrieval`), because only it knows which blocks were asked for.
struct CARReader {
    struct Section {
        let cid: CID
        let block: [UInt8]
    }

    /// The header's roots, once the header has been read.
    private(set) var roots: [CID]? = nil
    /// Bytes consumed so far (for error messages).
    private(set) var offset = 0
    private let maxSection: Int
    private var pending = [UInt8]()  // a partial varint, or a partial header/section
    private var needed: Int? = nil  // the length of the header or section being collected
    private var cid: CID? = nil  // the CID of the section being collected, once read
    private var block: [UInt8]? = nil  // its block so far

    /// `maxSection` bounds one section (CID + block): larger is refused before it is buffered.
    init(maxSection: Int) {
        self.maxSection = maxSection
    }

    /// Feeds the next piece of the stream; returns the sections it completed, in order.
    ///
    /// A section's first bytes (up to `cidWindow`, enough for any CID this tool accepts) are gathered in
    /// `pending` to read its CID; the rest of the block is then appended straight into the block's own
    /// array, so each byte is copied once.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(FetchError) -> [Section] {
        var sections = [Section]()
        var index = 0
        while index < chunk.count {
            if let needed {
                if block != nil {
                    var body = block!
                    block = nil  // `body` is now the only reference: appending does not copy it
                    let take = min(needed - pending.count - body.count, chunk.count - index)
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + take)]))
                    index += take
                    offset += take
                    if pending.count + body.count == needed {
                        sections.append(Section(cid: cid!, block: body))
                        reset()
                    } else {
                        block = body
                    }
                    continue
                }
                let window = roots == nil ? needed : min(needed, Self.cidWindow)
                let take = min(window - pending.count, chunk.count - index)
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + take)]))
                index += take
                offset += take
                guard pending.count == window else { continue }
                guard roots != nil else {
                    roots = try CARHeader.decodeRoots(pending, at: offset)
                    reset()
                    continue
                }
                var cursor = 0
                do {
                    cid = try CID.read(pending, at: &cursor)
                } catch {
                    throw .car(.badCID(error, offset))
                }
                var body = [UInt8]()
                body.reserveCapacity(needed - cursor)
                body.append(contentsOf: pending[cursor...])
                pending.removeSubrange(cursor...)
                if pending.count + body.count == needed {
                    sections.append(Section(cid: cid!, block: body))
                    reset()
                } else {
                    block = body
                }
            } else {
                let byte = chunk[index]
                index += 1
                offset += 1
                pending.append(byte)
                guard byte & 0x80 == 0 else {
                    guard pending.count < 9 else {
                        throw .car(.malformed("a section length varint is too long", offset))
                    }
                    continue
                }
                var cursor = 0
                let length: UInt64
                do {
                    length = try Varint.read(pending, at: &cursor)
                } catch {
                    throw .car(.malformed("a bad section length (\(error))", offset))
                }
                pending.removeAll(keepingCapacity: true)
                let limit = roots == nil ? CARReader.maxHeader : maxSection
                guard length > 0 else { throw .car(.malformed("an empty section", offset)) }
                guard length <= UInt64(limit) else {
                    throw .car(.tooLarge(roots == nil ? "header" : "section", length, limit))
                }
                needed = Int(length)
            }
        }
        return sections
    }

    /// Bytes read before a section's CID is parsed: a CIDv1 with a 128-byte identity digest fits.
    static let cidWindow = 160

    private mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        needed = nil
        block = nil
        cid = nil
    }

    /// Throws unless the stream ended on a section boundary after the header.
    func finish() throws(FetchError) {
        if roots == nil { throw .car(.truncated("the stream ended before the CAR header")) }
        if needed != nil || !pending.isEmpty || block != nil {
            throw .car(.truncated("the stream ended inside a section"))
        }
    }

    static let maxHeader = 1 << 16
}

/// Writes a CARv1.
enum CARWriter {
    static func header(roots: [CID]) -> [UInt8] {
        let body = CARHeader.encode(roots: roots)
        return Varint.encode(UInt64(body.count)) + body
    }

    static func section(_ cid: CID, _ block: [UInt8]) -> [UInt8] {
        let id = cid.bytes
        var out = Varint.encode(UInt64(id.count + block.count))
        out.reserveCapacity(out.count + id.count + block.count)
        out += id
        out += block
        return out
    }
}

/// The CARv1 header in DAG-CBOR: `{"roots": [CID…], "version": 1}`, keys in DAG-CBOR order (length first).
/// Only the few CBOR forms a header uses are read: maps, arrays, text, small integers and tag 42 CIDs.
enum CARHeader {
    static func encode(roots: [CID]) -> [UInt8] {
        var out: [UInt8] = [0xA2, 0x65] + Array("roots".utf8)
        head(4, UInt64(roots.count), &out)
        for root in roots {
            out += [0xD8, 0x2A]  // tag 42: a CID, as a byte string with a leading 0x00
            let bytes = [0x00] + root.bytes
            head(2, UInt64(bytes.count), &out)
            out += bytes
        }
        out += [0x67] + Array("version".utf8) + [0x01]
        return out
    }

    private static func head(_ major: UInt8, _ value: UInt64, _ out: inout [UInt8]) {
        switch value {
        case 0..<24: out.append(major << 5 | UInt8(value))
        case 24..<256: out += [major << 5 | 24, UInt8(value)]
        default: out += [major << 5 | 25, UInt8(value >> 8), UInt8(value & 0xFF)]
        }
    }

    static func decodeRoots(_ bytes: [UInt8], at position: Int) throws(FetchError) -> [CID] {
        var reader = CBORReader(bytes: bytes)
        var roots: [CID]? = nil
        var version: UInt64? = nil
        do {
            let (major, count) = try reader.head()
            guard major == 5 else { throw FetchError.car(.malformed("the header is not a CBOR map", position)) }
            for _ in 0..<count {
                let key = try reader.text()
                switch key {
                case "roots":
                    let (kind, items) = try reader.head()
                    guard kind == 4 else {
                        throw FetchError.car(.malformed("the header's roots is not an array", position))
                    }
                    var found = [CID]()
                    for _ in 0..<items { found.append(try reader.cid()) }
                    roots = found
                case "version":
                    let (kind, value) = try reader.head()
                    guard kind == 0 else {
                        throw FetchError.car(.malformed("the header's version is not a number", position))
                    }
                    version = value
                default:
                    throw FetchError.car(.malformed("unknown header key '\(key)'", position))
                }
            }
            guard reader.atEnd else { throw FetchError.car(.malformed("bytes after the header map", position)) }
        } catch let error as FetchError {
            if case .car = error { throw error }
            throw .car(.badCID(error, position))
        } catch {
            throw .car(.malformed("the header is not valid DAG-CBOR", position))
        }
        guard let version else { throw .car(.malformed("the header has no version", position)) }
        guard version == 1 else {
            throw .car(.unsupportedVersion(version))
        }
        guard let roots else { throw .car(.malformed("the header has no roots", position)) }
        return roots
    }
}

private struct CBORReader {
    let bytes: [UInt8]
    var index = 0
    var atEnd: Bool { index == bytes.count }

    struct Invalid: Error {}

    mutating func byte() throws -> UInt8 {
        guard index < bytes.count else { throw Invalid() }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func head() throws -> (UInt8, UInt64) {
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 31
        switch info {
        case 0..<24: return (major, UInt64(info))
        case 24, 25, 26, 27:
            var value: UInt64 = 0
            for _ in 0..<(1 << Int(info - 24)) { value = value << 8 | UInt64(try byte()) }
            return (major, value)
        default: throw Invalid()
        }
    }

    mutating func text() throws -> String {
        let (major, length) = try head()
        guard major == 3, length <= UInt64(bytes.count - index) else { throw Invalid() }
        defer { index += Int(length) }
        return String(decoding: bytes[index..<(index + Int(length))], as: UTF8.self)
    }

    mutating func cid() throws -> CID {
        let (tagMajor, tag) = try head()
        guard tagMajor == 6, tag == 42 else { throw Invalid() }
        let (major, length) = try head()
        guard major == 2, length >= 1, length <= UInt64(bytes.count - index), bytes[index] == 0 else {
            throw Invalid()
        }
        defer { index += Int(length) }
        return try CID(bytes: Array(bytes[(index + 1)..<(index + Int(length))]))
    }
}
