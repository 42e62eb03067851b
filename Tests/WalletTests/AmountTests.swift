import Testing

@testable import prty_wallet

/// Exact decimal amounts: no floating point anywhere.
struct AmountTests {
    @Test func parsesExactly() throws {
        #expect(try Amount.parse("10.5", decimals: 18).description == "10500000000000000000")
        #expect(try Amount.parse("1.1", decimals: 18).description == "1100000000000000000")  // the Go runner sent …128
        #expect(try Amount.parse("0.000000000000000001", decimals: 18).description == "1")
        #expect(try Amount.parse("2", decimals: 0).description == "2")
        #expect(try Amount.parse("2.50", decimals: 1).description == "25")  // trailing zeros are not precision
        #expect(try Amount.parse(".5", decimals: 18).description == "500000000000000000")
        #expect(try Amount.parse("5.", decimals: 18).description == "5000000000000000000")
        let big = "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
        #expect(try Amount.parse(big, decimals: 18) == UInt256.max)
    }

    @Test(arguments: ["0", "0.0", "-1", "-0.5", "1e18", "abc", "", ".", "1.2.3", "1,5", "+1", " ", "0x10", "١"])
    func refusesBadAmounts(text: String) {
        #expect(throws: WalletError.self) { try Amount.parse(text, decimals: 18) }
    }

    @Test func refusesOverPreciseAndTooLarge() {
        #expect(throws: WalletError.self) { try Amount.parse("0.0000000000000000001", decimals: 18) }
        #expect(throws: WalletError.self) { try Amount.parse("1.5", decimals: 0) }
        #expect(throws: WalletError.self) {
            try Amount.parse("115792089237316195423570985008687907853269984665640564039458", decimals: 18)
        }
    }

    @Test func formats() throws {
        #expect(Amount.format(try #require(UInt256(decimal: "10500000000000000000")), decimals: 18) == "10.5")
        #expect(Amount.format(UInt256(1), decimals: 18) == "0.000000000000000001")
        #expect(Amount.format(.zero, decimals: 18) == "0")
        #expect(Amount.format(UInt256(40), decimals: 0) == "40")
        #expect(Amount.format(try #require(UInt256(decimal: "40000000000000000000")), decimals: 18) == "40")
    }

    @Test func uint256() throws {
        #expect(UInt256(hexQuantity: "0x0") == .zero)
        #expect(UInt256(hexQuantity: "0x7a69")?.uint64 == 31337)
        #expect(UInt256(hexQuantity: "7a69") == nil)
        #expect(UInt256(hexQuantity: "0x" + String(repeating: "f", count: 65)) == nil)
        #expect(UInt256(31337).hexQuantity == "0x7a69")
        #expect(UInt256.zero.hexQuantity == "0x0")
        #expect(UInt256.max.adding(UInt256(1)) == nil)
        #expect(UInt256(1).subtracting(UInt256(2)) == nil)
        #expect(UInt256(100_000).increased(byPercent: 20)?.uint64 == 120_000)
        #expect(UInt256(100_001).increased(byPercent: 20)?.uint64 == 120_002)  // rounded up
        #expect(UInt256(decimal: "12345678901234567890123456789")?.description == "12345678901234567890123456789")
    }
}
