import Foundation
import Testing

@testable import Shared

/// FIPS 180-4 (NIST CSRC "SHA256.pdf" and "SHA2_Additional") known answers and incremental hashing that must agree
/// with the one-shot digest whatever the split, each for both compression functions: the CPU's SHA extensions
/// (`accelerated: true`, which is the Swift one on a CPU without them) and the Swift one (`accelerated: false`).
/// Then the two against each other on random messages.
struct SHA256Tests {
    static let paths = [true, false]

    static func hash(_ message: some Collection<UInt8>, accelerated: Bool) -> [UInt8] {
        var hasher = SHA256(accelerated: accelerated)
        hasher.update(message)
        return hasher.finalize()
    }

    @Test(
        arguments: [
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
        ], paths)
    func nistVectors(vector: (message: String, digest: String), accelerated: Bool) {
        #expect(Hex.encode(Self.hash(Array(vector.message.utf8), accelerated: accelerated)) == vector.digest)
    }

    /// The message lengths of NIST's SHA2_Additional (1, 4, 55, 56, 57, 64, 1000 and 1005 bytes: the padding's edges),
    /// digests checked with Python's hashlib.
    @Test(
        arguments: [
            ([UInt8]([0xbd]), "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b"),
            ([0xc9, 0x8c, 0x8e, 0x55], "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504"),
            (.init(repeating: 0x00, count: 55), "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
            (.init(repeating: 0x00, count: 56), "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
            (.init(repeating: 0x00, count: 57), "65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785"),
            (.init(repeating: 0x00, count: 64), "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"),
            (.init(repeating: 0x00, count: 1000), "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53"),
            (.init(repeating: 0x41, count: 1000), "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4"),
            (.init(repeating: 0x55, count: 1005), "f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0"),
        ], paths)
    func nistAdditionalVectors(vector: (message: [UInt8], digest: String), accelerated: Bool) {
        #expect(Hex.encode(Self.hash(vector.message, accelerated: accelerated)) == vector.digest)
    }

    @Test(arguments: paths)
    func oneMillionAs(accelerated: Bool) {
        let digest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Hex.encode(Self.hash([UInt8](repeating: 0x61, count: 1_000_000), accelerated: accelerated)) == digest)
        // The same million fed in 1000 updates of 1000 bytes.
        var hasher = SHA256(accelerated: accelerated)
        for _ in 0..<1000 { hasher.update([UInt8](repeating: 0x61, count: 1000)) }
        #expect(Hex.encode(hasher.finalize()) == digest)
    }

    @Test(arguments: paths)
    func bitLengthIsCountedPastOneBlockOfLength(accelerated: Bool) {
        // 2^16 + 3 bytes: the length field uses more than its lowest two bytes.
        let message = [UInt8](repeating: 0x00, count: 65_539)
        let digest = "d4f9bcbd9be765d114b85ab79d16c218fb5c1e03315f689603d48eed00bff97f"  // Python hashlib
        #expect(Hex.encode(Self.hash(message, accelerated: accelerated)) == digest)
        var split = SHA256(accelerated: accelerated)
        split.update(message[..<1])
        split.update(message[1...])
        #expect(Hex.encode(split.finalize()) == digest)
    }

    /// Every message length 0...130 (across both padding boundaries, 55/56 and 119/120 bytes), split into two
    /// updates at every offset, and into three at a second point: always the one-shot digest.
    @Test(arguments: paths)
    func incrementalUpdatesSplitAtEveryOffset(accelerated: Bool) {
        let data = (0..<130).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var failures: [String] = []
        for length in 0...130 {
            let message = Array(data.prefix(length))
            let whole = Self.hash(message, accelerated: accelerated)
            for split in 0...length {
                var hasher = SHA256(accelerated: accelerated)
                hasher.update(message[..<split])
                hasher.update(message[split...])
                if hasher.finalize() != whole { failures.append("\(length) split at \(split)") }
                let second = (split + length) / 2
                var three = SHA256(accelerated: accelerated)
                three.update(message[..<split])
                three.update(message[split..<second])
                three.update(message[second...])
                if three.finalize() != whole { failures.append("\(length) split at \(split), \(second)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Random bytes of every length 0...300, and a few long ones, hashed whole and in random pieces: the SHA
    /// extensions and the Swift compression function give the same digest.
    @Test func bothCompressionFunctionsAgreeOnRandomMessages() {
        var random = SeededRandom(seed: 15)
        var failures: [String] = []
        for length in Array(0...300) + [4095, 4096, 4097, 65_536 + 17, 1 << 20] {
            let message = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let accelerated = Self.hash(message, accelerated: true)
            if Self.hash(message, accelerated: false) != accelerated { failures.append("\(length) whole") }
            var pieces = SHA256(accelerated: false)
            var start = 0
            while start < length {
                let end = min(length, start + random.nextInt(below: 200))
                pieces.update(message[start..<end])
                start = end
            }
            if pieces.finalize() != accelerated { failures.append("\(length) in pieces") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Where Linux lists the CPU's flags, CPUID's answer must agree with them, so the fast path is not silently lost;
    /// off x86 there is none.
    @Test func detectsTheSHAExtensionsWhereTheCPUHasThem() throws {
        #if os(Linux) && arch(x86_64)
            let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flags =
                info.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ") } ?? []
            let listed = flags.contains("sha_ni") && flags.contains("sse4_1") && flags.contains("ssse3")
            #expect(SHA256.hasSHAExtensions == listed)
        #elseif !arch(x86_64) && !arch(i386)
            #expect(SHA256.hasSHAExtensions == false)  // the shim answers 0 off x86
        #endif
        var portable = SHA256(accelerated: false)
        var chosen = SHA256()
        #expect(portable.finalize() == chosen.finalize())
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
