import Testing

@testable import Shared

/// FIPS 180-4 (NIST CSRC "SHA256.pdf" and "SHA2_Additional") known answers, and incremental hashing that must
/// agree with the one-shot digest whatever the split.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        // 448 bits: two blocks after padding
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        // 896 bits
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                + "mnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        // `echo 'hello world' | sha256sum`: the file the prty-fetch add tests publish
        ("hello world\n", "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"),
    ])
    func nistVectors(message: String, digest: String) {
        #expect(Hex.encode(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func oneMillionAs() {
        let digest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Hex.encode(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))) == digest)
        // The same million fed in 1000 updates of 1000 bytes.
        var hasher = SHA256()
        for _ in 0..<1000 { hasher.update([UInt8](repeating: 0x61, count: 1000)) }
        #expect(Hex.encode(hasher.finalize()) == digest)
    }

    @Test func bitLengthIsCountedPastOneBlockOfLength() {
        // 2^16 + 3 bytes: the length field uses more than its lowest two bytes.
        let message = [UInt8](repeating: 0x00, count: 65_539)
        let digest = "d4f9bcbd9be765d114b85ab79d16c218fb5c1e03315f689603d48eed00bff97f"  // Python hashlib
        #expect(Hex.encode(SHA256.hash(message)) == digest)
        var split = SHA256()
        split.update(message[..<1])
        split.update(message[1...])
        #expect(split.finalize() == SHA256.hash(message))
    }

    /// Every message length 0...130 (across both padding boundaries, 55/56 and 119/120 bytes), split into two
    /// updates at every offset, and into three at a second point: always the one-shot digest.
    @Test func incrementalUpdatesSplitAtEveryOffset() {
        let data = (0..<130).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var failures: [String] = []
        for length in 0...130 {
            let message = Array(data.prefix(length))
            let whole = SHA256.hash(message)
            for split in 0...length {
                var hasher = SHA256()
                hasher.update(message[..<split])
                hasher.update(message[split...])
                if hasher.finalize() != whole { failures.append("\(length) split at \(split)") }
                let second = (split + length) / 2
                var three = SHA256()
                three.update(message[..<split])
                three.update(message[split..<second])
                three.update(message[second...])
                if three.finalize() != whole { failures.append("\(length) split at \(split), \(second)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func bufferAndSequenceFormsAgree() {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        let digest = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
        #expect(Hex.encode(SHA256.hash(message)) == digest)
        #expect(Hex.encode(message.withUnsafeBytes { SHA256.hash($0) }) == digest)
        #expect(Hex.encode(SHA256.hash(message.lazy.map { $0 })) == digest)
        #expect(SHA256.digestSize == 32 && SHA256.blockSize == 64)
    }
}
