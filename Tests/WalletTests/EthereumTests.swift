import Shared
import Testing

@testable import prty_wallet

/// EIP-55, RLP, ABI, signing and whole transactions against the EIPs' lists and eth-account's output
/// (reference/tools/wallet_test_vectors.txt, reproduced here).
struct EthereumTests {
    static let key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let keyAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    static let token = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    static let wallet = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    static let deviceID = "3defd4ee840d" + String(repeating: "0", count: 52)

    /// EIP-55's own list (all caps, all lower, mixed).
    @Test(arguments: [
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func eip55(address: String) throws {
        #expect(try Address(address).checksummed == address)
        #expect(try Address(address.lowercased().replacingOccurrences(of: "0x", with: "0x")).checksummed == address)
    }

    @Test func addressParsing() {
        #expect(throws: Address.ParseError.badChecksum(expected: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")) {
            try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")  // last letter's case flipped
        }
        #expect(throws: Address.ParseError.malformed) { try Address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") }
        #expect(throws: Address.ParseError.malformed) { try Address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea") }
        #expect(throws: Address.ParseError.malformed) { try Address("0xZZaeb6053f3e94c9b9a09f33669435e7ef1beaed") }
        // The original runner's sample addresses are valid checksums (they are our defaults).
        #expect((try? Address("0xb3042734b608a1B16e9e86B374A3f3e389B4cDf0")) != nil)
        #expect((try? Address("0x7465E7a637f66cb7b294B856A25bc84aBfF1d247")) != nil)
    }

    @Test func addressOfKeys() throws {
        let one = try #require(PrivateKey([UInt8](repeating: 0, count: 31) + [1]))
        #expect(one.address.checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        let key = try #require(PrivateKey(WalletFixtures.bytes(Self.key)))
        #expect(key.address.checksummed == Self.keyAddress)
        #expect(PrivateKey([UInt8](repeating: 0, count: 32)) == nil)
        #expect(PrivateKey([UInt8](repeating: 0xff, count: 32)) == nil)  // above the curve order
        #expect(PrivateKey([1, 2, 3]) == nil)
    }

    @Test func signaturesRecoverTheSigner() throws {
        let key = try #require(PrivateKey(WalletFixtures.bytes(Self.key)))
        let digest = Keccak256.hash("prty")
        let signature = try key.sign(digest: digest)
        #expect(signature.recoverPublicKey(digest: digest) == key.publicKey)
        #expect(signature.s[0] < 0x80)  // low-s (EIP-2)
        #expect(try key.sign(digest: digest) == signature)  // RFC 6979: deterministic
    }

    /// The Ethereum wiki's RLP examples.
    @Test func rlp() {
        #expect(RLP.bytes(Array("dog".utf8)).encoded == [0x83, 0x64, 0x6f, 0x67])
        #expect(
            Hex.encode(RLP.list([.bytes(Array("cat".utf8)), .bytes(Array("dog".utf8))]).encoded) == "c88363617483646f67"
        )
        #expect(RLP.bytes([]).encoded == [0x80])
        #expect(RLP.list([]).encoded == [0xc0])
        #expect(RLP.int(UInt64(0)).encoded == [0x80])
        #expect(RLP.bytes([0]).encoded == [0x00])
        #expect(RLP.int(UInt64(15)).encoded == [0x0f])
        #expect(RLP.int(UInt64(1024)).encoded == [0x82, 0x04, 0x00])
        #expect(
            Hex.encode(RLP.list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])]).encoded)
                == "c7c0c1c0c3c0c1c0")
        let lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit"
        #expect(RLP.bytes(Array(lorem.utf8)).encoded == [0xb8, 0x38] + Array(lorem.utf8))
    }

    @Test func abiCalldata() throws {
        let wallet = try Address(Self.wallet)
        let tenTokens = try #require(UInt256(decimal: "10000000000000000000"))
        #expect(
            "0x" + Hex.encode(Token.approveCall(spender: wallet, amount: tenTokens))
                == "0x095ea7b3000000000000000000000000e7f1725e7734ce288f8367e1bb143e90bb3f0512"
                + "0000000000000000000000000000000000000000000000008ac7230489e80000")
        let addFunds = StakeWallet.addFundsCall(
            amount: tenTokens, deviceID: Self.deviceID, wallet: try Address(Self.keyAddress))
        #expect(
            Hex.encode(addFunds) == "9360b1e3"
                + "0000000000000000000000000000000000000000000000008ac7230489e80000"
                + "0000000000000000000000000000000000000000000000000000000000000060"
                + "0000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23"
                + "0000000000000000000000000000000000000000000000000000000000000040"
                + "3364656664346565383430643030303030303030303030303030303030303030"
                + "3030303030303030303030303030303030303030303030303030303030303030")
    }

    @Test func abiDecodesGetWalletInfo() throws {
        let data = WalletFixtures.bytes(
            "0000000000000000000000000000000000000000000000008ac7230489e80000"
                + "0000000000000000000000000000000000000000000000000000000000000080"
                + "0000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23"
                + "0000000000000000000000000000000000000000000000000000000000000001"
                + "0000000000000000000000000000000000000000000000000000000000000040"
                + "3364656664346565383430643030303030303030303030303030303030303030"
                + "3030303030303030303030303030303030303030303030303030303030303030")
        let values = try ABI.decode([.uint, .string, .address, .bool], from: data)
        #expect(
            values == [
                .uint(try #require(UInt256(decimal: "10000000000000000000"))), .string(Self.deviceID),
                .address(try Address(Self.keyAddress)), .bool(true),
            ])
        // Truncated or lying return data is an error, never a crash.
        #expect(throws: ABI.DecodeError.self) { try ABI.decode([.uint, .string], from: Array(data.prefix(40))) }
        var lying = data
        lying[63] = 0xff  // string offset far beyond the data
        #expect(throws: ABI.DecodeError.self) { try ABI.decode([.uint, .string, .address, .bool], from: lying) }
    }

    @Test func revertReasons() {
        let error = ABI.call("Error(string)", [.string("Allowance exceeded")])
        #expect(RevertReason.describe(data: error, message: "execution reverted") == "Allowance exceeded")
        let panic = ABI.call("Panic(uint256)", [.uint(UInt256(0x11))])
        #expect(RevertReason.describe(data: panic, message: "") == "panic 0x11 (arithmetic overflow or underflow)")
        let custom = ABI.call("OwnableUnauthorizedAccount(address)", [.address(Address.zero)])
        #expect(
            RevertReason.describe(data: custom, message: "")
                == "OwnableUnauthorizedAccount(0x0000000000000000000000000000000000000000)")
        #expect(RevertReason.describe(data: [1, 2, 3, 4], message: "") == "custom error 0x01020304")
        #expect(
            RevertReason.describe(data: nil, message: "execution reverted: Amount must be greater than 0")
                == "Amount must be greater than 0")
        #expect(RevertReason.describe(data: nil, message: "execution reverted") == "no reason given")
    }

    /// eth-account's signature of a legacy EIP-155 approve (chain 31337).
    @Test func legacyTransaction() throws {
        let key = try #require(PrivateKey(WalletFixtures.bytes(Self.key)))
        let transaction = Transaction(
            chainID: 31337, nonce: 0, fees: .legacy(gasPrice: UInt256(1_000_000_000)), gasLimit: 46000,
            to: try Address(Self.token),
            data: Token.approveCall(
                spender: try Address(Self.wallet), amount: UInt256(10_000_000_000_000_000_000 as UInt64)))
        let signed = try transaction.signed(with: key)
        #expect(
            signed.rawHex == "0xf8aa80843b9aca0082b3b0945fbdb2315678afecb367f032d93f642f64180aa380b844095ea7b3"
                + "000000000000000000000000e7f1725e7734ce288f8367e1bb143e90bb3f0512"
                + "0000000000000000000000000000000000000000000000008ac7230489e8000082f4f5a053a1bd5f98eb2d3124fd613d108d6935"
                + "e84fd5ee7aa815550227c7cb30dba78fa01333de4c948d5f794614b19b0308cd8b175e49c77a01df355d9d039cd1042cc4")
        #expect(signed.hash == "0x45486a18e78010c07b03b6fd397e192df2a864c4b6ff84d174227d115a787a92")
    }

    /// eth-account's signature of an EIP-1559 addFunds (chain 31337, nonce 1).
    @Test func eip1559Transaction() throws {
        let key = try #require(PrivateKey(WalletFixtures.bytes(Self.key)))
        let transaction = Transaction(
            chainID: 31337, nonce: 1,
            fees: .eip1559(maxFeePerGas: UInt256(3_000_000_000), maxPriorityFeePerGas: UInt256(1_000_000_000)),
            gasLimit: 180_000, to: try Address(Self.wallet),
            data: StakeWallet.addFundsCall(
                amount: UInt256(10_000_000_000_000_000_000 as UInt64), deviceID: Self.deviceID,
                wallet: try Address(Self.keyAddress)))
        let signed = try transaction.signed(with: key)
        #expect(
            signed.rawHex
                == "0x02f90132827a6901843b9aca0084b2d05e008302bf2094e7f1725e7734ce288f8367e1bb143e90bb3f051280b8c49360b1"
                + "e30000000000000000000000000000000000000000000000008ac7230489e800000000000000000000000000000000000000"
                + "0000000000000000000000000000600000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23000000"
                + "0000000000000000000000000000000000000000000000000000000040336465666434656538343064303030303030303030"
                + "30303030303030303030303030303030303030303030303030303030303030303030303030303030303030c080a085a062df"
                + "9d84b56cda03f8afdac6e4fc2035865802520dfd87ef0f41d90b5f0aa00b2330dc64ba736722422607d41992ae50ae735ed5"
                + "9676af08f90d428eb28ade")
        #expect(signed.hash == "0xfcb9339ae7d3135ea5ee45c26055a8dc2e4e3b4a3cbcdb2d698070f15c4ce46c")
    }
}
