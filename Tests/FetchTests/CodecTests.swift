import Testing

@testable import prty_fetch

struct DagPBTests {
    /// kubo's leaf for "hello world\n": PBNode{Data: UnixFS{Type: file, Data, filesize: 12}}.
    static let helloLeaf: [UInt8] = [0x0A, 0x12, 0x08, 0x02, 0x12, 0x0C] + Array("hello world\n".utf8) + [0x18, 0x0C]

    @Test func decodesKuboLeaf() throws {
        let cid = try CID(CIDTests.helloV0)
        #expect(cid.verifies(Self.helloLeaf))
        let node = try DagPBNode(decoding: Self.helloLeaf)
        #expect(node.links.isEmpty)
        let unixfs = try UnixFSData(decoding: try #require(node.data))
        #expect(unixfs.kind == .file)
        #expect(unixfs.data == Array("hello world\n".utf8))
        #expect(unixfs.fileSize == 12)
        #expect(node.encoded() == Self.helloLeaf)
        #expect(unixfs.encoded() == Array(Self.helloLeaf[2...]))
    }

    @Test func linksRoundTrip() throws {
        let child = try CID(CIDTests.helloV0)
        let raw = try CID(CIDTests.helloRaw)
        let node = DagPBNode(
            links: [.init(cid: child, name: [], size: 20), .init(cid: raw, name: Array("a.txt".utf8), size: nil)],
            data: UnixFSData(kind: .file, fileSize: 24, blockSizes: [12, 12]).encoded())
        let decoded = try DagPBNode(decoding: node.encoded())
        #expect(decoded == node)
        #expect(try UnixFSData(decoding: decoded.data!).blockSizes == [12, 12])
    }

    @Test func refusesNonCanonicalAndBombs() throws {
        let link = DagPBNode(links: [.init(cid: try CID(CIDTests.helloV0), name: [], size: 1)], data: nil).encoded()
        let dataFirst = [0x0A, 0x00] + link
        #expect(throws: FetchError.dagPB(.malformed("a link after the Data field"))) {
            try DagPBNode(decoding: dataFirst)
        }
        #expect(throws: FetchError.dagPB(.malformed("unknown PBNode field 3"))) {
            try DagPBNode(decoding: [0x1A, 0x00])
        }  // unknown field 3
        #expect(throws: FetchError.dagPB(.malformed("a field runs past the block's end"))) {
            try DagPBNode(decoding: [0x0A, 0x05, 0x00])
        }  // runs past the end
        #expect(throws: FetchError.dagPB(.tooManyLinks(1))) { try DagPBNode(decoding: link + link, maxLinks: 1) }
        let cbor = try CIDBytes.dagCBOR()
        let badLink: [UInt8] = [0x12, UInt8(cbor.count + 2), 0x0A, UInt8(cbor.count)] + cbor
        #expect {
            try DagPBNode(decoding: badLink)
        } throws: { error in
            if case .dagPB(.badLink(.cid(.unsupported))) = error as? FetchError { return true }
            return false
        }
    }

    @Test func unixfsSkipsUnknownFieldsAndReadsPacked() throws {
        // Type=file, blocksizes packed [3, 300], mode=0o644 (field 7), unknown fixed32 field 9
        let bytes: [UInt8] = [0x08, 0x02, 0x22, 0x03, 0x03, 0xAC, 0x02, 0x38, 0xA4, 0x03, 0x4D, 1, 2, 3, 4]
        let data = try UnixFSData(decoding: bytes)
        #expect(data.blockSizes == [3, 300])
        #expect(throws: FetchError.unixFS("unknown UnixFS type 9")) { try UnixFSData(decoding: [0x08, 0x09]) }
        #expect(throws: FetchError.unixFS("no Type field")) { try UnixFSData(decoding: [0x18, 0x01]) }
    }
}

enum CIDBytes {
    static func dagCBOR() throws -> [UInt8] {
        [0x01, 0x71, 0x12, 0x20] + [UInt8](repeating: 7, count: 32)
    }
}

struct CARTests {
    static func sample() throws -> ([UInt8], CID, [(CID, [UInt8])]) {
        let leaf = DagPBTests.helloLeaf
        let leafCID = CID.of(leaf, codec: .dagPB, version: .v0)
        let raw = Array("hello world\n".utf8)
        let rawCID = CID.of(raw, codec: .raw, version: .v1)
        let blocks = [(leafCID, leaf), (rawCID, raw)]
        var car = CARWriter.header(roots: [leafCID])
        for (cid, block) in blocks { car += CARWriter.section(cid, block) }
        return (car, leafCID, blocks)
    }

    @Test func roundTripInAnyPieces() throws {
        let (car, root, blocks) = try Self.sample()
        for pieceSize in [1, 2, 7, 64, car.count] {
            var reader = CARReader(maxSection: 1 << 20)
            var sections = [CARReader.Section]()
            var start = 0
            while start < car.count {
                let end = min(start + pieceSize, car.count)
                sections += try Array(car[start..<end]).withUnsafeBytes { try reader.feed($0) }
                start = end
            }
            try reader.finish()
            #expect(reader.roots == [root])
            #expect(sections.map(\.cid) == blocks.map(\.0))
            #expect(sections.map(\.block) == blocks.map(\.1))
        }
    }

    @Test func headerMatchesDagCBOR() throws {
        // python: dag_cbor.encode({"roots": [CID], "version": 1}) for the hello-world CIDv0
        let header = CARHeader.encode(roots: [try CID(CIDTests.helloV0)])
        #expect(header.prefix(8) == [0xA2, 0x65, 0x72, 0x6F, 0x6F, 0x74, 0x73, 0x81])
        #expect(header.count == 1 + 6 + 1 + 2 + 2 + 35 + 8 + 1)
    }

    @Test func truncatedAndOversized() throws {
        let (car, _, _) = try Self.sample()
        var reader = CARReader(maxSection: 1 << 20)
        _ = try Array(car.dropLast(3)).withUnsafeBytes { try reader.feed($0) }
        #expect(throws: FetchError.car(.truncated("the stream ended inside a section"))) { try reader.finish() }

        var small = CARReader(maxSection: 16)
        #expect {
            _ = try car.withUnsafeBytes { try small.feed($0) }
        } throws: { error in
            if case .car(.tooLarge) = error as? FetchError { return true }
            return false
        }

        let empty = CARReader(maxSection: 16)
        #expect(throws: FetchError.car(.truncated("the stream ended before the CAR header"))) { try empty.finish() }
    }

    @Test func refusesCARv2() throws {
        // The CARv2 pragma: a CARv1-style header {version: 2}.
        let pragma: [UInt8] = [0x0A, 0xA1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x02]
        var reader = CARReader(maxSection: 1 << 20)
        #expect(throws: FetchError.car(.unsupportedVersion(2))) {
            _ = try pragma.withUnsafeBytes { try reader.feed($0) }
        }
    }
}
