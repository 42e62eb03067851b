import Testing

@testable import prty_fetch

struct CIDTests {
    static let helloV0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    static let helloRaw = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"

    @Test func cidv0() throws {
        let cid = try CID(Self.helloV0)
        #expect(cid.version == .v0)
        #expect(cid.codec == .dagPB)
        #expect(cid.multihash.function == .sha2_256)
        #expect(cid.bytes.count == 34)
        #expect(cid.description == Self.helloV0)
        #expect(try CID(bytes: cid.bytes) == cid)
    }

    @Test func cidv1InEveryBase() throws {
        let canonical = try CID(Self.helloRaw)
        #expect(canonical.version == .v1)
        #expect(canonical.codec == .raw)
        #expect(canonical.verifies(Array("hello world\n".utf8)))
        #expect(!canonical.verifies(Array("hello world".utf8)))
        for text in [
            "k2cwuecvan95uqzq14dj3a18wx6av6tgr73nxvopxn3j5kvyr0apys7b",  // base36
            "K2CWUECVAN95UQZQ14DJ3A18WX6AV6TGR73NXVOPXN3J5KVYR0APYS7B",
            "zb2rhi36Gc9GJWijLEL6zW45MBux5FcFv5gJmjXA7VAMozEXY",  // base58btc
            "f01551220a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447",  // base16
            Self.helloRaw.uppercased(),  // base32 upper
        ] {
            let cid = try CID(text)
            #expect(cid == canonical, "\(text)")
            #expect(cid.description == Self.helloRaw)
        }
    }

    @Test func identityCID() throws {
        let empty = try CID("bafkqaaa")
        #expect(empty.isIdentity)
        #expect(empty.multihash.digest.isEmpty)
        #expect(empty.verifies([]))
        let hello = CID.identity(Array("hi".utf8))
        #expect(try CID(hello.description) == hello)
        #expect(hello.verifies(Array("hi".utf8)))
    }

    @Test func sameBlockSameMultihash() throws {
        let v0 = try CID(Self.helloV0)
        let v1 = try CID(version: .v1, codec: .dagPB, multihash: v0.multihash)
        #expect(v1.description == "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby")
        #expect(BlockStore.key(v0.multihash) == BlockStore.key(v1.multihash))
        #expect(BlockStore.key(v0.multihash).hasPrefix("CIQ"))
    }

    @Test(arguments: [
        ("", "empty"),
        ("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5O", "base58"),  // O is not base58
        ("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei", "not valid base32"),
        ("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2deve", "cut short"),
        ("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4aa", "trailing"),
        ("bAFkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4", "not valid base32"),
        ("zQmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "multibase prefix"),
    ])
    func malformed(text: String, why: String) {
        #expect {
            try CID(text)
        } throws: { error in
            guard case .cid(.malformed(let message)) = error as? FetchError else { return false }
            return message.contains(why)
        }
    }

    @Test(arguments: [
        ("bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae", "dag-cbor"),
        ("bafk2bzacedqbv4phb4ukxhdrwjatxqojafo5e6w5c2yv2u3ilf2d4i6bgx5jw", "blake2b-256"),
        ("mAXASIBbgtOsDOdTSyXCGxDJAdbkxEr9bDoWi8k1iFVd2bv1T", "multibase prefix 'm'"),
    ])
    func unsupported(text: String, what: String) {
        #expect {
            try CID(text)
        } throws: { error in
            guard case .cid(.unsupported(let message)) = error as? FetchError else { return false }
            return message.contains(what)
        }
    }

    @Test func longIdentityIsRefused() throws {
        let long = CID.identity([UInt8](repeating: 1, count: 200))
        #expect {
            try CID(bytes: long.bytes)
        } throws: { error in
            if case .cid(.unsupported) = error as? FetchError { return true }
            return false
        }
    }
}

struct MultibaseTests {
    @Test func rfc4648Base32() {
        let vectors = [
            "": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb",
            "foobar": "mzxw6ytboi",
        ]
        for (plain, encoded) in vectors {
            #expect(String(decoding: Base32.encode(Array(plain.utf8)), as: UTF8.self) == encoded)
            #expect(Base32.decode(Array(encoded.utf8)) == Array(plain.utf8))
        }
        #expect(Base32.decode(Array("mzxw6ytboj".utf8)) == nil)  // non-zero padding bits
        #expect(Base32.decode(Array("mzx1".utf8)) == nil)
    }

    @Test func base58btc() {
        #expect(Base58.encode(Array("Hello World!".utf8)) as String == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.encode([0, 0, 1]) as String == "112")
        #expect(Base58.decode(Array("112".utf8)) == [0, 0, 1])
        #expect(Base58.decode(Array("0".utf8)) == nil)
    }

    @Test func varints() throws {
        for value: UInt64 in [0, 1, 127, 128, 255, 300, 16384, 1 << 32, 1 << 62] {
            let bytes = Varint.encode(value)
            #expect(bytes.count == Varint.size(value))
            var offset = 0
            #expect(try Varint.read(bytes, at: &offset) == value)
            #expect(offset == bytes.count)
        }
        var offset = 0
        #expect(throws: FetchError.varint(.notMinimal)) { try Varint.read([0x80, 0x00], at: &offset) }
        #expect(throws: FetchError.varint(.truncated)) { try Varint.read([0x80], at: &offset) }
        #expect(throws: FetchError.varint(.overlong)) {
            try Varint.read([UInt8](repeating: 0xFF, count: 10), at: &offset)
        }
        #expect(try Varint.read([0x80, 0x00], at: &offset, maxBytes: 10, strict: false) == 0)
    }
}
