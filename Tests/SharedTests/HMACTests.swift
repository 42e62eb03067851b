import Testing

@testable import Shared

/// RFC 4231 test cases 1–7 for HMAC-SHA-256, plus keys at the block-size boundary (checked against Python's hmac).
struct HMACTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        let mac: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "RFC 4231 case 1", key: .init(repeating: 0x0b, count: 20), message: Array("Hi There".utf8),
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Case(
            name: "RFC 4231 case 2 (short key)", key: Array("Jefe".utf8),
            message: Array("what do ya want for nothing?".utf8),
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Case(
            name: "RFC 4231 case 3", key: .init(repeating: 0xaa, count: 20),
            message: .init(repeating: 0xdd, count: 50),
            mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Case(
            name: "RFC 4231 case 4", key: Array(1...25), message: .init(repeating: 0xcd, count: 50),
            mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Case(
            name: "RFC 4231 case 6 (131-byte key)", key: .init(repeating: 0xaa, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Case(
            name: "RFC 4231 case 7 (131-byte key and long data)", key: .init(repeating: 0xaa, count: 131),
            message: Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        Case(
            name: "64-byte key (exactly one block: not hashed)", key: Array(0..<64),
            message: Array("block-size key".utf8),
            mac: "1dad230598e011a4e4eabc6c8da8f55ef9a66a8881d1e16e23ea116ae28231ec"),
        Case(
            name: "65-byte key (one past: hashed)", key: Array(0..<65), message: Array("block-size key plus one".utf8),
            mac: "3936bf18fa616179a1c1b8e43137a224de9c60a20648e3c8c2fc33f6d78d55c6"),
        Case(
            name: "empty key and message", key: [], message: [],
            mac: "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
    ]

    @Test(arguments: cases)
    func knownAnswers(vector: Case) {
        #expect(Hex.encode(HMAC.sha256(key: vector.key, message: vector.message)) == vector.mac)
    }

    /// Case 5 specifies the output truncated to 128 bits: compare the first 16 bytes.
    @Test func rfc4231Case5Truncated() {
        let mac = HMAC.sha256(key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        #expect(mac.count == 32)
        #expect(Hex.encode(mac.prefix(16)) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func anyByteSequenceWorks() {
        let key = "Jefe".utf8
        let message = "what do ya want for nothing?".utf8
        #expect(Hex.encode(HMAC.sha256(key: key, message: message)) == Self.cases[1].mac)
        #expect(HMAC.sha256(key: key, message: message.reversed()) != HMAC.sha256(key: key, message: message))
    }
}
