/// Keccak-256 as Ethereum uses it: the Keccak team's original padding (0x01 … 0x80), **not** FIPS 202 SHA3-256
/// (0x06 … 0x80), which gives different digests. Rate 136 bytes, capacity 512 bits, 24 rounds of Keccak-f[1600].
/// Written here because no library on the machine offers it (OpenSSL 3.0 has only SHA3-256).
struct Keccak256 {
    static let rate = 136

    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer = [UInt8]()

    init() { buffer.reserveCapacity(Self.rate) }

    /// The digest of `bytes` in one call.
    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = Keccak256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of a string's UTF-8 bytes (function signatures, device ids).
    static func hash(_ text: String) -> [UInt8] { hash(Array(text.utf8)) }

    mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            buffer.append(byte)
            if buffer.count == Self.rate { absorbBuffer() }
        }
    }

    mutating func finalize() -> [UInt8] {
        var block = buffer + [UInt8](repeating: 0, count: Self.rate - buffer.count)
        block[buffer.count] ^= 0x01
        block[Self.rate - 1] ^= 0x80
        buffer = block
        absorbBuffer()
        var digest = [UInt8]()
        digest.reserveCapacity(32)
        for lane in state[0..<4] {
            for shift in stride(from: 0, to: 64, by: 8) {
                digest.append(UInt8(truncatingIfNeeded: lane >> UInt64(shift)))
            }
        }
        return digest
    }

    private mutating func absorbBuffer() {
        for lane in 0..<(Self.rate / 8) {
            var word: UInt64 = 0
            for byte in 0..<8 { word |= UInt64(buffer[lane * 8 + byte]) << UInt64(8 * byte) }
            state[lane] ^= word
        }
        buffer.removeAll(keepingCapacity: true)
        state.withUnsafeMutableBufferPointer { Self.permute($0) }
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    /// ρ rotation offsets and π destinations, in the order of the combined ρ-π walk starting at lane 1.
    private static let rotations: [UInt64] = [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ]
    private static let piLanes: [Int] = [
        10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
    ]

    /// Keccak-f[1600]: θ, ρ, π, χ, ι for 24 rounds.
    private static func permute(_ a: UnsafeMutableBufferPointer<UInt64>) {
        var c = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for round in 0..<24 {
            c = (
                a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20], a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21],
                a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22], a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23],
                a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
            )
            let d0 = c.4 ^ rotl(c.1, 1)
            let d1 = c.0 ^ rotl(c.2, 1)
            let d2 = c.1 ^ rotl(c.3, 1)
            let d3 = c.2 ^ rotl(c.4, 1)
            let d4 = c.3 ^ rotl(c.0, 1)
            for row in stride(from: 0, to: 25, by: 5) {
                a[row] ^= d0
                a[row + 1] ^= d1
                a[row + 2] ^= d2
                a[row + 3] ^= d3
                a[row + 4] ^= d4
            }
            var current = a[1]
            for step in 0..<24 {
                let lane = piLanes[step]
                let next = a[lane]
                a[lane] = rotl(current, rotations[step])
                current = next
            }
            for row in stride(from: 0, to: 25, by: 5) {
                let b0 = a[row]
                let b1 = a[row + 1]
                let b2 = a[row + 2]
                let b3 = a[row + 3]
                let b4 = a[row + 4]
                a[row] = b0 ^ (~b1 & b2)
                a[row + 1] = b1 ^ (~b2 & b3)
                a[row + 2] = b2 ^ (~b3 & b4)
                a[row + 3] = b3 ^ (~b4 & b0)
                a[row + 4] = b4 ^ (~b0 & b1)
            }
            a[0] ^= roundConstants[round]
        }
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 - n)) }
}
