internal import CSHA256

/// SHA-256 (FIPS 180-4), incremental. The compression function runs on the CPU's SHA extensions (SHA-NI, through
/// the CSHA256 shim) where the CPU has them, which is several times `sha256sum`'s speed; elsewhere it is the Swift
/// one below, unrolled (64 rounds, the message schedule in 16 locals, the eight working variables renamed round by
/// round instead of shifted). Both are tested against the same vectors and against each other. The hasher holds no
/// heap storage, so hashing many small messages (CIDs, HMAC) allocates nothing.
public struct SHA256: Sendable {
    public static let digestSize = 32
    public static let blockSize = 64

    /// Whether this CPU has the SHA extensions (CPUID, asked once per process).
    static let hasSHAExtensions = CSHA256_has_sha_extensions() != 0

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// A partial block, inline (64 bytes).
    private var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var buffered = 0
    private var length: UInt64 = 0
    /// The SHA extensions' compression function, rather than the Swift one.
    private let accelerated: Bool

    public init() { accelerated = Self.hasSHAExtensions }

    /// `accelerated: false` forces the Swift compression function, so tests can check it on a CPU with the SHA
    /// extensions; `true` uses them only where the CPU has them.
    init(accelerated: Bool) { self.accelerated = accelerated && Self.hasSHAExtensions }

    /// The digest of `bytes` in one call.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of the bytes in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(buffer)
        return hasher.finalize()
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        if buffered > 0 {
            let take = min(64 - buffered, remaining)
            let offset = buffered
            withUnsafeMutableBytes(of: &buffer) {
                $0.baseAddress!.advanced(by: offset).copyMemory(from: base, byteCount: take)
            }
            buffered += take
            base += take
            remaining -= take
            guard buffered == 64 else { return }
            var copy = buffer
            withUnsafeBytes(of: &copy) { compress(blocks: $0.baseAddress!, count: 1) }
            buffered = 0
        }
        let whole = remaining / 64
        if whole > 0 {
            compress(blocks: base, count: whole)
            base += whole * 64
            remaining -= whole * 64
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &buffer) { $0.baseAddress!.copyMemory(from: base, byteCount: remaining) }
            buffered = remaining
        }
    }

    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let used = buffered
        let total = used + 1 + 8 <= 64 ? 64 : 128
        withUnsafeMutableBytes(of: &tail) { tail in
            withUnsafeBytes(of: &buffer) { tail.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: used) }
            tail[used] = 0x80
            tail.storeBytes(of: bits.bigEndian, toByteOffset: total - 8, as: UInt64.self)
        }
        withUnsafeBytes(of: &tail) { compress(blocks: $0.baseAddress!, count: total / 64) }
        buffered = 0
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBytes { out in
            let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
            for (index, word) in words.enumerated() {
                out.storeBytes(of: word.bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return digest
    }

    /// One round. `bc` carries b ^ c from the previous round, so Maj(a, b, c) = ((a ^ b) & (b ^ c)) ^ b costs
    /// two operations; Σ0 and Σ1 are nested rotations (one temporary each), as in OpenSSL's sha256-x86_64.
    @inline(__always)
    private static func round(
        _ d: inout UInt32, _ h: inout UInt32, _ bc: inout UInt32, _ a: UInt32, _ b: UInt32, _ e: UInt32,
        _ f: UInt32, _ g: UInt32, _ kw: UInt32
    ) {
        let sum1 = ((((e.rotatedRight(14) ^ e).rotatedRight(5)) ^ e).rotatedRight(6))
        let t1 = h &+ sum1 &+ (g ^ (e & (f ^ g))) &+ kw
        d &+= t1
        let sum0 = ((((a.rotatedRight(9) ^ a).rotatedRight(11)) ^ a).rotatedRight(2))
        let ab = a ^ b
        h = t1 &+ sum0 &+ ((ab & bc) ^ b)
        bc = ab
    }

    @inline(__always)
    private static func sigma0(_ x: UInt32) -> UInt32 { x.rotatedRight(7) ^ x.rotatedRight(18) ^ (x >> 3) }

    @inline(__always)
    private static func sigma1(_ x: UInt32) -> UInt32 { x.rotatedRight(17) ^ x.rotatedRight(19) ^ (x >> 10) }

    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        if accelerated {
            withUnsafeMutablePointer(to: &state) {
                $0.withMemoryRebound(to: UInt32.self, capacity: 8) { CSHA256_compress($0, blocks, count) }
            }
        } else {
            compressInSwift(blocks: blocks, count: count)
        }
    }

    /// FIPS 180-4 §6.2.2 for `count` blocks, in Swift.
    private mutating func compressInSwift(blocks: UnsafeRawPointer, count: Int) {
        var (a, b, c, d, e, f, g, h) = state
        var w0: UInt32 = 0
        var w1: UInt32 = 0
        var w2: UInt32 = 0
        var w3: UInt32 = 0
        var w4: UInt32 = 0
        var w5: UInt32 = 0
        var w6: UInt32 = 0
        var w7: UInt32 = 0
        var w8: UInt32 = 0
        var w9: UInt32 = 0
        var w10: UInt32 = 0
        var w11: UInt32 = 0
        var w12: UInt32 = 0
        var w13: UInt32 = 0
        var w14: UInt32 = 0
        var w15: UInt32 = 0
        var block = blocks
        for _ in 0..<count {
            var bc = b ^ c
            w0 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            Self.round(&d, &h, &bc, a, b, e, f, g, 0x428a_2f98 &+ w0)
            w1 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            Self.round(&c, &g, &bc, h, a, d, e, f, 0x7137_4491 &+ w1)
            w2 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            Self.round(&b, &f, &bc, g, h, c, d, e, 0xb5c0_fbcf &+ w2)
            w3 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            Self.round(&a, &e, &bc, f, g, b, c, d, 0xe9b5_dba5 &+ w3)
            w4 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x3956_c25b &+ w4)
            w5 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
            Self.round(&g, &c, &bc, d, e, h, a, b, 0x59f1_11f1 &+ w5)
            w6 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x923f_82a4 &+ w6)
            w7 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
            Self.round(&e, &a, &bc, b, c, f, g, h, 0xab1c_5ed5 &+ w7)
            w8 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
            Self.round(&d, &h, &bc, a, b, e, f, g, 0xd807_aa98 &+ w8)
            w9 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
            Self.round(&c, &g, &bc, h, a, d, e, f, 0x1283_5b01 &+ w9)
            w10 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
            Self.round(&b, &f, &bc, g, h, c, d, e, 0x2431_85be &+ w10)
            w11 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 44, as: UInt32.self))
            Self.round(&a, &e, &bc, f, g, b, c, d, 0x550c_7dc3 &+ w11)
            w12 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 48, as: UInt32.self))
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x72be_5d74 &+ w12)
            w13 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 52, as: UInt32.self))
            Self.round(&g, &c, &bc, d, e, h, a, b, 0x80de_b1fe &+ w13)
            w14 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 56, as: UInt32.self))
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x9bdc_06a7 &+ w14)
            w15 = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
            Self.round(&e, &a, &bc, b, c, f, g, h, 0xc19b_f174 &+ w15)
            w0 &+= Self.sigma0(w1) &+ w9 &+ Self.sigma1(w14)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0xe49b_69c1 &+ w0)
            w1 &+= Self.sigma0(w2) &+ w10 &+ Self.sigma1(w15)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0xefbe_4786 &+ w1)
            w2 &+= Self.sigma0(w3) &+ w11 &+ Self.sigma1(w0)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0x0fc1_9dc6 &+ w2)
            w3 &+= Self.sigma0(w4) &+ w12 &+ Self.sigma1(w1)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0x240c_a1cc &+ w3)
            w4 &+= Self.sigma0(w5) &+ w13 &+ Self.sigma1(w2)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x2de9_2c6f &+ w4)
            w5 &+= Self.sigma0(w6) &+ w14 &+ Self.sigma1(w3)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0x4a74_84aa &+ w5)
            w6 &+= Self.sigma0(w7) &+ w15 &+ Self.sigma1(w4)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x5cb0_a9dc &+ w6)
            w7 &+= Self.sigma0(w8) &+ w0 &+ Self.sigma1(w5)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0x76f9_88da &+ w7)
            w8 &+= Self.sigma0(w9) &+ w1 &+ Self.sigma1(w6)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0x983e_5152 &+ w8)
            w9 &+= Self.sigma0(w10) &+ w2 &+ Self.sigma1(w7)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0xa831_c66d &+ w9)
            w10 &+= Self.sigma0(w11) &+ w3 &+ Self.sigma1(w8)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0xb003_27c8 &+ w10)
            w11 &+= Self.sigma0(w12) &+ w4 &+ Self.sigma1(w9)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0xbf59_7fc7 &+ w11)
            w12 &+= Self.sigma0(w13) &+ w5 &+ Self.sigma1(w10)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0xc6e0_0bf3 &+ w12)
            w13 &+= Self.sigma0(w14) &+ w6 &+ Self.sigma1(w11)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0xd5a7_9147 &+ w13)
            w14 &+= Self.sigma0(w15) &+ w7 &+ Self.sigma1(w12)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x06ca_6351 &+ w14)
            w15 &+= Self.sigma0(w0) &+ w8 &+ Self.sigma1(w13)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0x1429_2967 &+ w15)
            w0 &+= Self.sigma0(w1) &+ w9 &+ Self.sigma1(w14)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0x27b7_0a85 &+ w0)
            w1 &+= Self.sigma0(w2) &+ w10 &+ Self.sigma1(w15)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0x2e1b_2138 &+ w1)
            w2 &+= Self.sigma0(w3) &+ w11 &+ Self.sigma1(w0)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0x4d2c_6dfc &+ w2)
            w3 &+= Self.sigma0(w4) &+ w12 &+ Self.sigma1(w1)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0x5338_0d13 &+ w3)
            w4 &+= Self.sigma0(w5) &+ w13 &+ Self.sigma1(w2)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x650a_7354 &+ w4)
            w5 &+= Self.sigma0(w6) &+ w14 &+ Self.sigma1(w3)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0x766a_0abb &+ w5)
            w6 &+= Self.sigma0(w7) &+ w15 &+ Self.sigma1(w4)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x81c2_c92e &+ w6)
            w7 &+= Self.sigma0(w8) &+ w0 &+ Self.sigma1(w5)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0x9272_2c85 &+ w7)
            w8 &+= Self.sigma0(w9) &+ w1 &+ Self.sigma1(w6)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0xa2bf_e8a1 &+ w8)
            w9 &+= Self.sigma0(w10) &+ w2 &+ Self.sigma1(w7)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0xa81a_664b &+ w9)
            w10 &+= Self.sigma0(w11) &+ w3 &+ Self.sigma1(w8)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0xc24b_8b70 &+ w10)
            w11 &+= Self.sigma0(w12) &+ w4 &+ Self.sigma1(w9)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0xc76c_51a3 &+ w11)
            w12 &+= Self.sigma0(w13) &+ w5 &+ Self.sigma1(w10)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0xd192_e819 &+ w12)
            w13 &+= Self.sigma0(w14) &+ w6 &+ Self.sigma1(w11)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0xd699_0624 &+ w13)
            w14 &+= Self.sigma0(w15) &+ w7 &+ Self.sigma1(w12)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0xf40e_3585 &+ w14)
            w15 &+= Self.sigma0(w0) &+ w8 &+ Self.sigma1(w13)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0x106a_a070 &+ w15)
            w0 &+= Self.sigma0(w1) &+ w9 &+ Self.sigma1(w14)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0x19a4_c116 &+ w0)
            w1 &+= Self.sigma0(w2) &+ w10 &+ Self.sigma1(w15)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0x1e37_6c08 &+ w1)
            w2 &+= Self.sigma0(w3) &+ w11 &+ Self.sigma1(w0)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0x2748_774c &+ w2)
            w3 &+= Self.sigma0(w4) &+ w12 &+ Self.sigma1(w1)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0x34b0_bcb5 &+ w3)
            w4 &+= Self.sigma0(w5) &+ w13 &+ Self.sigma1(w2)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x391c_0cb3 &+ w4)
            w5 &+= Self.sigma0(w6) &+ w14 &+ Self.sigma1(w3)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0x4ed8_aa4a &+ w5)
            w6 &+= Self.sigma0(w7) &+ w15 &+ Self.sigma1(w4)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0x5b9c_ca4f &+ w6)
            w7 &+= Self.sigma0(w8) &+ w0 &+ Self.sigma1(w5)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0x682e_6ff3 &+ w7)
            w8 &+= Self.sigma0(w9) &+ w1 &+ Self.sigma1(w6)
            Self.round(&d, &h, &bc, a, b, e, f, g, 0x748f_82ee &+ w8)
            w9 &+= Self.sigma0(w10) &+ w2 &+ Self.sigma1(w7)
            Self.round(&c, &g, &bc, h, a, d, e, f, 0x78a5_636f &+ w9)
            w10 &+= Self.sigma0(w11) &+ w3 &+ Self.sigma1(w8)
            Self.round(&b, &f, &bc, g, h, c, d, e, 0x84c8_7814 &+ w10)
            w11 &+= Self.sigma0(w12) &+ w4 &+ Self.sigma1(w9)
            Self.round(&a, &e, &bc, f, g, b, c, d, 0x8cc7_0208 &+ w11)
            w12 &+= Self.sigma0(w13) &+ w5 &+ Self.sigma1(w10)
            Self.round(&h, &d, &bc, e, f, a, b, c, 0x90be_fffa &+ w12)
            w13 &+= Self.sigma0(w14) &+ w6 &+ Self.sigma1(w11)
            Self.round(&g, &c, &bc, d, e, h, a, b, 0xa450_6ceb &+ w13)
            w14 &+= Self.sigma0(w15) &+ w7 &+ Self.sigma1(w12)
            Self.round(&f, &b, &bc, c, d, g, h, a, 0xbef9_a3f7 &+ w14)
            w15 &+= Self.sigma0(w0) &+ w8 &+ Self.sigma1(w13)
            Self.round(&e, &a, &bc, b, c, f, g, h, 0xc671_78f2 &+ w15)
            a &+= state.0
            b &+= state.1
            c &+= state.2
            d &+= state.3
            e &+= state.4
            f &+= state.5
            g &+= state.6
            h &+= state.7
            state = (a, b, c, d, e, f, g, h)
            block += 64
        }
    }
}

extension UInt32 {
    @inline(__always) fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}
