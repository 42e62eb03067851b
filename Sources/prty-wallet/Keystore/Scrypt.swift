import Foundation

/// scrypt (RFC 7914): the keystore's default KDF. Memory is N · 128 · r bytes (256 MiB for the keystore's
/// N = 2^18, r = 8), taken at once and given back when done. The inner loops run on raw pointers over 32-bit
/// words, with Salsa20/8 on sixteen locals, so that an optimised build keeps pace with OpenSSL's C.
enum Scrypt {
    struct Parameters: Sendable, Equatable {
        var n: Int
        var r: Int
        var p: Int
        var keyLength: Int

        /// What `auth` writes: go-ethereum's "standard" scrypt parameters (keystore.StandardScryptN/P).
        static let standard = Parameters(n: 1 << 18, r: 8, p: 1, keyLength: 32)

        /// RFC 7914 §2: N a power of two above 1, r·p < 2^30; plus a memory bound of our own (2 GiB), so a
        /// hostile keystore cannot make us allocate without limit.
        var problem: String? {
            guard n > 1, n & (n - 1) == 0 else { return "scrypt n must be a power of 2 above 1, got \(n)" }
            guard r >= 1, p >= 1, r <= 1 << 16, p <= 1 << 16, r * p < 1 << 30 else {
                return "scrypt r and p must be positive with r·p < 2^30, got r=\(r) p=\(p)"
            }
            guard n <= (1 << 31) / (128 * r) else { return "scrypt n·r asks for more than 2 GiB of memory" }
            guard (1...1024).contains(keyLength) else { return "scrypt dklen must be 1...1024, got \(keyLength)" }
            return nil
        }
    }

    static func derive(password: [UInt8], salt: [UInt8], _ parameters: Parameters) -> [UInt8] {
        let (n, r, p) = (parameters.n, parameters.r, parameters.p)
        let blockWords = 32 * r
        var b = PBKDF2.sha256(password: password, salt: salt, iterations: 1, keyLength: p * 128 * r)
        let v = UnsafeMutablePointer<UInt32>.allocate(capacity: n * blockWords)
        let x = UnsafeMutablePointer<UInt32>.allocate(capacity: blockWords)
        let y = UnsafeMutablePointer<UInt32>.allocate(capacity: blockWords)
        defer {
            v.deallocate()
            x.deallocate()
            y.deallocate()
        }
        b.withUnsafeMutableBytes { bytes in
            for chunk in 0..<p {
                let base = bytes.baseAddress! + chunk * 128 * r
                for word in 0..<blockWords {
                    x[word] = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: word * 4, as: UInt32.self))
                }
                roMix(x, y, v, n: n, r: r)
                for word in 0..<blockWords {
                    base.storeBytes(of: x[word].littleEndian, toByteOffset: word * 4, as: UInt32.self)
                }
            }
        }
        return PBKDF2.sha256(password: password, salt: b, iterations: 1, keyLength: parameters.keyLength)
    }

    /// RFC 7914 §5 scryptROMix, in place on `x`; `y` is scratch of the same size, `v` holds N blocks.
    private static func roMix(
        _ x: UnsafeMutablePointer<UInt32>, _ y: UnsafeMutablePointer<UInt32>, _ v: UnsafeMutablePointer<UInt32>,
        n: Int, r: Int
    ) {
        let blockWords = 32 * r
        var current = x
        var other = y
        for index in 0..<n {
            (v + index * blockWords).update(from: current, count: blockWords)
            blockMix(current, into: other, r: r)
            swap(&current, &other)
        }
        let mask = UInt32(truncatingIfNeeded: n - 1)
        for _ in 0..<n {
            let j = Int(current[(2 * r - 1) * 16] & mask)  // Integerify: the last 64-byte block's first word
            let vj = v + j * blockWords
            for word in 0..<blockWords { current[word] ^= vj[word] }
            blockMix(current, into: other, r: r)
            swap(&current, &other)
        }
        if current != x { x.update(from: current, count: blockWords) }
    }

    /// RFC 7914 §4 scryptBlockMix: Salsa20/8 over the 2r 64-byte blocks, even outputs first, then odd.
    @inline(__always)
    private static func blockMix(
        _ input: UnsafeMutablePointer<UInt32>, into output: UnsafeMutablePointer<UInt32>, r: Int
    ) {
        var s = SalsaState(input + (2 * r - 1) * 16)
        for block in 0..<(2 * r) {
            s.xorSalsa(input + block * 16)
            s.store(output + ((block & 1) * r + (block >> 1)) * 16)
        }
    }
}

/// Sixteen words of Salsa20 state held in locals (registers), not memory.
private struct SalsaState {
    var x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15: UInt32

    @inline(__always)
    init(_ p: UnsafeMutablePointer<UInt32>) {
        (x0, x1, x2, x3, x4, x5, x6, x7) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])
        (x8, x9, x10, x11, x12, x13, x14, x15) = (p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15])
    }

    @inline(__always)
    func store(_ p: UnsafeMutablePointer<UInt32>) {
        (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]) = (x0, x1, x2, x3, x4, x5, x6, x7)
        (p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]) = (x8, x9, x10, x11, x12, x13, x14, x15)
    }

    /// self = Salsa20/8(self ⊕ block) (RFC 7914 §3: 8 rounds, then the input added back).
    @inline(__always)
    mutating func xorSalsa(_ p: UnsafeMutablePointer<UInt32>) {
        x0 ^= p[0]
        x1 ^= p[1]
        x2 ^= p[2]
        x3 ^= p[3]
        x4 ^= p[4]
        x5 ^= p[5]
        x6 ^= p[6]
        x7 ^= p[7]
        x8 ^= p[8]
        x9 ^= p[9]
        x10 ^= p[10]
        x11 ^= p[11]
        x12 ^= p[12]
        x13 ^= p[13]
        x14 ^= p[14]
        x15 ^= p[15]
        var (a0, a1, a2, a3, a4, a5, a6, a7) = (x0, x1, x2, x3, x4, x5, x6, x7)
        var (a8, a9, a10, a11, a12, a13, a14, a15) = (x8, x9, x10, x11, x12, x13, x14, x15)
        for _ in 0..<4 {
            // columns
            a4 ^= rotl(a0 &+ a12, 7)
            a8 ^= rotl(a4 &+ a0, 9)
            a12 ^= rotl(a8 &+ a4, 13)
            a0 ^= rotl(a12 &+ a8, 18)
            a9 ^= rotl(a5 &+ a1, 7)
            a13 ^= rotl(a9 &+ a5, 9)
            a1 ^= rotl(a13 &+ a9, 13)
            a5 ^= rotl(a1 &+ a13, 18)
            a14 ^= rotl(a10 &+ a6, 7)
            a2 ^= rotl(a14 &+ a10, 9)
            a6 ^= rotl(a2 &+ a14, 13)
            a10 ^= rotl(a6 &+ a2, 18)
            a3 ^= rotl(a15 &+ a11, 7)
            a7 ^= rotl(a3 &+ a15, 9)
            a11 ^= rotl(a7 &+ a3, 13)
            a15 ^= rotl(a11 &+ a7, 18)
            // rows
            a1 ^= rotl(a0 &+ a3, 7)
            a2 ^= rotl(a1 &+ a0, 9)
            a3 ^= rotl(a2 &+ a1, 13)
            a0 ^= rotl(a3 &+ a2, 18)
            a6 ^= rotl(a5 &+ a4, 7)
            a7 ^= rotl(a6 &+ a5, 9)
            a4 ^= rotl(a7 &+ a6, 13)
            a5 ^= rotl(a4 &+ a7, 18)
            a11 ^= rotl(a10 &+ a9, 7)
            a8 ^= rotl(a11 &+ a10, 9)
            a9 ^= rotl(a8 &+ a11, 13)
            a10 ^= rotl(a9 &+ a8, 18)
            a12 ^= rotl(a15 &+ a14, 7)
            a13 ^= rotl(a12 &+ a15, 9)
            a14 ^= rotl(a13 &+ a12, 13)
            a15 ^= rotl(a14 &+ a13, 18)
        }
        x0 &+= a0
        x1 &+= a1
        x2 &+= a2
        x3 &+= a3
        x4 &+= a4
        x5 &+= a5
        x6 &+= a6
        x7 &+= a7
        x8 &+= a8
        x9 &+= a9
        x10 &+= a10
        x11 &+= a11
        x12 &+= a12
        x13 &+= a13
        x14 &+= a14
        x15 &+= a15
    }

    @inline(__always)
    private func rotl(_ value: UInt32, _ count: UInt32) -> UInt32 { (value << count) | (value >> (32 - count)) }
}
