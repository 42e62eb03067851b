/// A dag-pb node (ipld/specs codecs/dag-pb): protobuf `PBNode { repeated PBLink Links = 2; optional bytes
/// Data = 1; }` with `PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }`.
/// Decoding is as strict as the spec asks (fields in canonical order, no unknown fields, no duplicates), so
/// one node has one encoding and `encoded()` gives back the exact bytes that were hashed.
struct DagPBNode: Sendable, Equatable {
    struct Link: Sendable, Equatable {
        var cid: CID
        /// Bytes as stored (UTF-8 in practice); `nil` when absent, which differs from present-but-empty.
        var name: [UInt8]?
        /// The cumulative size of the linked DAG, as the writer claimed it (never trusted for limits).
        var size: UInt64?
    }

    var links: [Link]
    var data: [UInt8]?

    init(links: [Link], data: [UInt8]?) {
        self.links = links
        self.data = data
    }

    /// Decodes a block; `maxLinks` is a DAG-bomb guard.
    init(decoding block: [UInt8], maxLinks: Int = .max) throws(FetchError) {
        let result = block.withUnsafeBytes { buffer in
            Result { () throws(FetchError) -> DagPBNode in
                let (links, range) = try Self.parse(buffer, maxLinks: maxLinks)
                return DagPBNode(links: links, data: range.map { Array(buffer[$0]) })
            }
        }
        self = try result.get()
    }

    /// Decodes a block without copying its Data: the links, and where Data lies in `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxLinks: Int) throws(FetchError) -> ([Link], Range<Int>?) {
        var links = [Link]()
        var data: Range<Int>? = nil
        var offset = 0
        while offset < bytes.count {
            let (field, payload) = try lengthDelimited(bytes, &offset, "PBNode")
            switch field {
            case 2:
                guard data == nil else { throw .dagPB(.malformed("a link after the Data field")) }
                guard links.count < maxLinks else { throw .dagPB(.tooManyLinks(maxLinks)) }
                links.append(try link(UnsafeRawBufferPointer(rebasing: bytes[payload])))
            case 1:
                guard data == nil else { throw .dagPB(.malformed("two Data fields")) }
                data = payload
            default:
                throw .dagPB(.malformed("unknown PBNode field \(field)"))
            }
        }
        return (links, data)
    }

    private static func link(_ bytes: UnsafeRawBufferPointer) throws(FetchError) -> Link {
        var offset = 0
        var cid: CID? = nil
        var name: [UInt8]? = nil
        var size: UInt64? = nil
        var last = 0
        while offset < bytes.count {
            let key = try varint(bytes, &offset)
            let field = Int(key >> 3)
            let wire = key & 7
            guard field > last else { throw .dagPB(.malformed("PBLink fields out of order or repeated")) }
            last = field
            switch (field, wire) {
            case (1, 2):
                let range = try payload(bytes, &offset)
                do {
                    cid = try CID(bytes: Array(bytes[range]))
                } catch {
                    throw .dagPB(.badLink(error))
                }
            case (2, 2):
                name = Array(bytes[try payload(bytes, &offset)])
            case (3, 0):
                size = try varint(bytes, &offset)
            default:
                throw .dagPB(.malformed("unknown PBLink field \(field) (wire type \(wire))"))
            }
        }
        guard let cid else { throw .dagPB(.malformed("a link without a Hash")) }
        return Link(cid: cid, name: name, size: size)
    }

    private static func lengthDelimited(
        _ bytes: UnsafeRawBufferPointer, _ offset: inout Int,
        _ message: String
    ) throws(FetchError) -> (Int, Range<Int>) {
        let key = try varint(bytes, &offset)
        guard key & 7 == 2 else { throw .dagPB(.malformed("\(message) field \(key >> 3) has wire type \(key & 7)")) }
        return (Int(key >> 3), try payload(bytes, &offset))
    }

    private static func payload(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(FetchError) -> Range<Int> {
        let length = try varint(bytes, &offset)
        guard length <= UInt64(bytes.count - offset) else {
            throw .dagPB(.malformed("a field runs past the block's end"))
        }
        let range = offset..<(offset + Int(length))
        offset += Int(length)
        return range
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(FetchError) -> UInt64 {
        do {
            return try Varint.read(bytes, at: &offset, maxBytes: 10, strict: false)
        } catch {
            throw .dagPB(.malformed("a bad protobuf varint (\(error))"))
        }
    }

    /// The canonical encoding: links first, then Data; in each link Hash, Name, Tsize.
    func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((data?.count ?? 0) + links.count * 48 + 8)
        for link in links {
            var body = [UInt8]()
            let hash = link.cid.bytes
            body.append(0x0A)
            Varint.write(UInt64(hash.count), to: &body)
            body += hash
            if let name = link.name {
                body.append(0x12)
                Varint.write(UInt64(name.count), to: &body)
                body += name
            }
            if let size = link.size {
                body.append(0x18)
                Varint.write(size, to: &body)
            }
            out.append(0x12)
            Varint.write(UInt64(body.count), to: &out)
            out += body
        }
        if let data {
            out.append(0x0A)
            Varint.write(UInt64(data.count), to: &out)
            out += data
        }
        return out
    }
}
