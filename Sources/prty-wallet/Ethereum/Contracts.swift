import Shared

/// The ERC-20 token (ParityToken) as the wallet reads it.
struct Token: Sendable {
    let chain: Chain
    let address: Address

    func decimals() async throws -> Int {
        let values = try await chain.call(to: address, "decimals()", returns: [.uint])
        guard case .uint(let value)? = values.first, let small = value.uint64, small <= 77 else {
            throw WalletError.badReply(method: "decimals() on \(address)", detail: "not a decimals count")
        }
        return Int(small)
    }

    func symbol() async throws -> String {
        let values = try await chain.call(to: address, "symbol()", returns: [.string])
        guard case .string(let text)? = values.first else { return "" }
        return text
    }

    func balance(of owner: Address) async throws -> UInt256 {
        try await uint(chain.call(to: address, "balanceOf(address)", [.address(owner)], returns: [.uint]))
    }

    func allowance(owner: Address, spender: Address) async throws -> UInt256 {
        try await uint(
            chain.call(
                to: address, "allowance(address,address)", [.address(owner), .address(spender)], returns: [.uint]))
    }

    static func approveCall(spender: Address, amount: UInt256) -> [UInt8] {
        ABI.call("approve(address,uint256)", [.address(spender), .uint(amount)])
    }
}

/// The staking contract (ParityWallet): stakes are kept by device id.
struct StakeWallet: Sendable {
    let chain: Chain
    let address: Address

    struct Info: Sendable, Equatable {
        let balance: UInt256
        let deviceID: String
        let wallet: Address
        let exists: Bool
    }

    /// `getWalletInfo(string) → (uint256 balance, string deviceId, address walletAddress, bool exists)`.
    func info(deviceID: String) async throws -> Info {
        let values = try await chain.call(
            to: address, "getWalletInfo(string)", [.string(deviceID)], returns: [.uint, .string, .address, .bool])
        guard case .uint(let balance) = values[0], case .string(let id) = values[1],
            case .address(let wallet) = values[2],
            case .bool(let exists) = values[3]
        else { throw WalletError.internal("getWalletInfo decoded to unexpected types") }
        return Info(balance: balance, deviceID: id, wallet: wallet, exists: exists)
    }

    static func addFundsCall(amount: UInt256, deviceID: String, wallet: Address) -> [UInt8] {
        ABI.call("addFunds(uint256,string,address)", [.uint(amount), .string(deviceID), .address(wallet)])
    }

    static func withdrawFundsCall(deviceID: String, amount: UInt256) -> [UInt8] {
        ABI.call("withdrawFunds(string,uint256)", [.string(deviceID), .uint(amount)])
    }
}

private func uint(_ values: [ABIValue]) throws -> UInt256 {
    guard case .uint(let value)? = values.first else { throw WalletError.internal("expected a uint256") }
    return value
}
