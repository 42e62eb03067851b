import Shared

/// PBKDF2 with HMAC-SHA256 (RFC 8018 §5.2): the keystore's `pbkdf2` KDF, and the first and last step of scrypt.
/// The HMAC key's inner and outer SHA-256 states are computed once and copied for each of the `iterations`
/// (geth's pbkdf2 keystores use 262,144), so an iteration costs two compressions and nothing more.
enum PBKDF2 {
    static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
        var key = password
        if key.count > SHA256.blockSize { key = SHA256.hash(key) }
        key += [UInt8](repeating: 0, count: SHA256.blockSize - key.count)
        var inner = SHA256()
        inner.update(key.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(key.map { $0 ^ 0x5c })
        func mac(_ message: [UInt8]) -> [UInt8] {
            var hasher = inner
            hasher.update(message)
            var finisher = outer
            finisher.update(hasher.finalize())
            return finisher.finalize()
        }
        var derived: [UInt8] = []
        derived.reserveCapacity(keyLength + 32)
        var block: UInt32 = 1
        while derived.count < keyLength {
            var u = mac(salt + withUnsafeBytes(of: block.bigEndian, Array.init))
            var t = u
            if iterations > 1 {
                for _ in 1..<iterations {
                    u = mac(u)
                    for index in 0..<32 { t[index] ^= u[index] }
                }
            }
            derived += t
            block += 1
        }
        return Array(derived.prefix(keyLength))
    }
}
