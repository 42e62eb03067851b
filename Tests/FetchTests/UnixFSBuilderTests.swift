import Testing

@testable import prty_fetch

/// CIDs of `ipfs add`: CIDv0 checked against Debian's ipfs_cid (kubo's code), CIDv1 against the reference
/// Python builder on multiformats + ipld-dag-pb.
struct UnixFSBuilderTests {
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 251) } }

    static func cids(_ content: [UInt8]) -> (String, String, String) {
        content.withUnsafeBytes { bytes in
            (
                UnixFSBuilder(cidVersion: .v0).build(bytes).rootCID.description,
                UnixFSBuilder(cidVersion: .v1).build(bytes).rootCID.description,
                UnixFSBuilder(cidVersion: .v1, rawLeaves: false).build(bytes).rootCID.description
            )
        }
    }

    @Test func publishedVectors() {
        #expect(Self.cids(Array("hello world\n".utf8)).0 == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
        #expect(
            Self.cids(Array("hello world\n".utf8)).1 == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
        #expect(Self.cids(Array("hello world".utf8)).0 == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD")
        #expect(Self.cids([]).0 == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        #expect(Self.cids([]).1 == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    }

    @Test(arguments: [
        (
            262_144, "QmPDdohMbmJheh372VbUUXsZ7PD68Xgs2oqbHSyETSmVft",
            "bafkreidtpmdhdmgsrvgltsrlzrfs5ragszmg3o3legvfagtwldoeiucayu",
            "bafybeianb6mxwhdgemzb2hn3x3gzcjtlqbod4e7bkeunuykxcxybrhzov4"
        ),
        (
            262_145, "QmVV8Xo8bfqTCYSYKMoQoDNCbtzujHGfAxvJEJsm7QP6Fw",
            "bafybeidbuw2hpnkpnbwvz6xirywx74hyz64czv2fhdsr2m2c67bbpsd3m4",
            "bafybeih4pbmlrvzwajb4evjnqzfkqqjuoltqchubvv4weznb5f2ia6z6hi"
        ),
        (
            1_000_000, "QmSFFAPewTxpS8Snhq4CL1HuEG9eYjZbPiotrJcE9VqbFB",
            "bafybeicainafyncb23v7rqufgwgqscwyivdnnpcax3mz5ed5nvs2mlnn34",
            "bafybeigca66fjssr466npz66qmilcu4uzk6pynxt4kdackblenz5j7mswi"
        ),
    ])
    func chunkedFiles(size: Int, v0: String, v1: String, v1DagPB: String) {
        let (a, b, c) = Self.cids(Self.pattern(size))
        #expect(a == v0)
        #expect(b == v1)
        #expect(c == v1DagPB)
    }

    @Test func blocksComeRootFirstAndVerify() {
        let content = Self.pattern(600_000)
        let builder = UnixFSBuilder(cidVersion: .v0)
        var seen = [CID]()
        content.withUnsafeBytes { bytes in
            let dag = builder.build(bytes)
            #expect(dag.rootCID.description == "Qmf1heFUQN8cUxJdi5w5Pk9UPeCdEHuPhhFYUqctLdCp98")
            builder.forEachBlock(dag, bytes) { cid, block in
                #expect(cid.verifies(block))
                seen.append(cid)
            }
        }
        #expect(seen.count == 4)
        #expect(seen.first?.description == "Qmf1heFUQN8cUxJdi5w5Pk9UPeCdEHuPhhFYUqctLdCp98")
    }
}
