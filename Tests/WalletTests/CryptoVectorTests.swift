import Shared
import Testing

@testable import prty_wallet

/// Keccak-256, scrypt, PBKDF2-HMAC-SHA256 and AES-128-CTR against published vectors.
struct CryptoVectorTests {
    @Test func keccakKnownAnswers() {
        // Ethereum's Keccak-256, not FIPS 202 SHA3-256 (whose empty digest is a7ffc6f8…).
        #expect(
            Hex.encode(Keccak256.hash([UInt8]())) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Hex.encode(Keccak256.hash("abc")) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(
            Hex.encode(Keccak256.hash("The quick brown fox jumps over the lazy dog"))
                == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
    }

    @Test func keccakAroundTheRate() throws {
        let vectors = try #require(WalletFixtures.json("keccak256.json").arrayValue)
        #expect(vectors.count >= 10)
        for vector in vectors {
            let input = WalletFixtures.bytes(vector["input"]?.stringValue ?? "")
            #expect(Hex.encode(Keccak256.hash(input)) == vector["digest"]?.stringValue, "length \(input.count)")
            var incremental = Keccak256()  // the same digest when fed in uneven pieces
            for chunk in stride(from: 0, to: input.count, by: 50) {
                incremental.update(input[chunk..<min(chunk + 50, input.count)])
            }
            #expect(Hex.encode(incremental.finalize()) == vector["digest"]?.stringValue)
        }
    }

    @Test func selectorsMatchTheContracts() {
        #expect(Hex.encode(ABI.selector("addFunds(uint256,string,address)")) == "9360b1e3")
        #expect(Hex.encode(ABI.selector("getWalletInfo(string)")) == "13c6bbfb")
        #expect(Hex.encode(ABI.selector("withdrawFunds(string,uint256)")) == "9769b439")
        #expect(Hex.encode(ABI.selector("approve(address,uint256)")) == "095ea7b3")
        #expect(Hex.encode(ABI.selector("Error(string)")) == "08c379a0")
    }

    /// RFC 7914 §12; the N=16384 vector only optimised (it takes seconds in a debug build).
    @Test func scryptRFC7914() throws {
        let vectors = try #require(WalletFixtures.json("scrypt.json").arrayValue)
        for vector in vectors {
            let n = vector["n"]?.intValue ?? 0
            if n > 1024 && !WalletFixtures.isOptimized { continue }
            let parameters = Scrypt.Parameters(
                n: n, r: vector["r"]?.intValue ?? 0, p: vector["p"]?.intValue ?? 0,
                keyLength: vector["dklen"]?.intValue ?? 0)
            #expect(parameters.problem == nil)
            let derived = Scrypt.derive(
                password: Array((vector["password"]?.stringValue ?? "").utf8),
                salt: Array((vector["salt"]?.stringValue ?? "").utf8), parameters)
            #expect(Hex.encode(derived) == vector["derived"]?.stringValue, "N=\(n)")
        }
    }

    @Test func scryptRefusesBadParameters() {
        #expect(Scrypt.Parameters(n: 1000, r: 8, p: 1, keyLength: 32).problem != nil)  // not a power of two
        #expect(Scrypt.Parameters(n: 1, r: 8, p: 1, keyLength: 32).problem != nil)
        #expect(Scrypt.Parameters(n: 1 << 30, r: 8, p: 1, keyLength: 32).problem != nil)  // 128 GiB
        #expect(Scrypt.Parameters(n: 1024, r: 0, p: 1, keyLength: 32).problem != nil)
        #expect(Scrypt.Parameters.standard.problem == nil)
    }

    /// RFC 7914 §11 and RFC 6070-style SHA-256 vectors.
    @Test func pbkdf2HMACSHA256() throws {
        let vectors = try #require(WalletFixtures.json("pbkdf2.json").arrayValue)
        for vector in vectors {
            let iterations = vector["c"]?.intValue ?? 0
            if iterations > 10_000 && !WalletFixtures.isOptimized { continue }
            let derived = PBKDF2.sha256(
                password: Array((vector["password"]?.stringValue ?? "").utf8),
                salt: Array((vector["salt"]?.stringValue ?? "").utf8), iterations: iterations,
                keyLength: vector["dklen"]?.intValue ?? 0)
            #expect(Hex.encode(derived) == vector["derived"]?.stringValue, "c=\(iterations)")
        }
    }

    /// FIPS-197 appendix C.1.
    @Test func aes128Block() throws {
        let aes = try #require(AES128(key: Array(0..<16)))
        #expect(
            Hex.encode(aes.encrypt(block: WalletFixtures.bytes("00112233445566778899aabbccddeeff")))
                == "69c4e0d86a7b0430d8cdb78070b4c55a")
        #expect(AES128(key: Array(0..<15)) == nil)
    }

    /// SP 800-38A F.5.1 (CTR-AES128.Encrypt), and a counter that wraps around 2^128.
    @Test func aes128CTR() throws {
        let aes = try #require(AES128(key: WalletFixtures.bytes("2b7e151628aed2a6abf7158809cf4f3c")))
        let plaintext = WalletFixtures.bytes(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef"
                + "f69f2445df4f9b17ad2b417be66c3710")
        let ciphertext = aes.ctr(iv: WalletFixtures.bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), plaintext)
        #expect(
            Hex.encode(ciphertext) == "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
                + "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")
        #expect(aes.ctr(iv: WalletFixtures.bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), ciphertext) == plaintext)
        let wrapped = aes.ctr(iv: [UInt8](repeating: 0xff, count: 16), [UInt8](repeating: 0, count: 40))
        #expect(
            Hex.encode(wrapped) == "8af2860142f786f409307c1a3f7eaaac7df76b0c1ab899b33e42f047b91b546f57127d4034b1bebf")
    }
}
