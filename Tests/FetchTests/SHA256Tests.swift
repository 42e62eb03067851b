import Foundation
import Shared
import Testing

/// FIPS 180-4 / NIST CSRC example vectors, and incremental hashing split at every awkward point.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        ("hello world\n", "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"),
    ])
    func vectors(message: String, digest: String) {
        #expect(Hex.encode(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func millionAs() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every message length around the padding boundaries (55, 56, 63, 64, …), fed whole and in odd pieces.
    @Test func incrementalEqualsWhole() {
        var random = SeededRandom(seed: 1)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 300] {
            let message = Array(data[..<length])
            let whole = SHA256.hash(message)
            for piece in [1, 3, 17, 64, 100] {
                var hasher = SHA256()
                var start = 0
                while start < length {
                    let end = min(start + piece, length)
                    hasher.update(message[start..<end])
                    start = end
                }
                #expect(hasher.finalize() == whole, "length \(length), pieces of \(piece)")
            }
            #expect(message.withUnsafeBytes { SHA256.hash($0) } == whole)
        }
        // A non-contiguous sequence goes through the same path.
        #expect(SHA256.hash((0..<3).lazy.map { UInt8(97 + $0) }) == SHA256.hash(Array("abc".utf8)))
    }
}
