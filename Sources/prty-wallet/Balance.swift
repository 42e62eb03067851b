import Shared

/// `prty-wallet balance`: native balance, token balance (with the token's own decimals and symbol), and the
/// stake the staking contract holds for this node's device id. Amounts are exact decimal strings plus the
/// integer in base units.
struct Balance {
    static let command = Command(
        "balance", summary: "show the native and token balances and the node's stake",
        options: [WalletOptions.keystore, WalletOptions.human],
        examples: ["prty-wallet balance", "prty-wallet balance --human"],
        discussion: """
            Writes {"address", "chain_id", "device_id", "native": {…}, "token": {…}, "stake": {…}}; every amount \
            is given as "balance" (decimal tokens) and "base_units" (the integer on chain). Needs no password \
            unless the keystore lacks an address field.
            """)

    let context: WalletContext

    init(_ invocation: Invocation) throws {
        context = try WalletContext(invocation)
        _ = try context.chainConfig()  // a bad setting fails before any network call
    }

    func run() async throws {
        let address = try context.signer(purpose: "to learn its address: the keystore names none").address
        let config = try await context.connect()
        let deviceID = try context.deviceID()
        let token = Token(chain: config.chain, address: config.token)
        let stake = StakeWallet(chain: config.chain, address: config.stakeWallet)
        let decimals = try await token.decimals()
        let symbol = try await token.symbol()
        if !config.expectedSymbol.isEmpty && symbol != config.expectedSymbol {
            context.log.warning(
                "symbol_mismatch",
                "the token at \(config.token) reports symbol '\(symbol)', not "
                    + "BLOCKCHAIN_TOKEN_SYMBOL '\(config.expectedSymbol)'")
        }
        let native = try await config.chain.balance(of: address)
        let tokens = try await token.balance(of: address)
        let info = try await stake.info(deviceID: deviceID)
        let held = try await token.balance(of: config.stakeWallet)
        func amount(_ value: UInt256, _ decimals: Int) -> JSON {
            ["balance": .string(Amount.format(value, decimals: decimals)), "base_units": .string(value.description)]
        }
        var stakeDocument: [String: JSON] = [
            "contract": .string(config.stakeWallet.checksummed), "exists": .bool(info.exists),
            "amount": amount(info.balance, decimals), "contract_holds": amount(held, decimals),
        ]
        if info.exists { stakeDocument["wallet_address"] = .string(info.wallet.checksummed) }
        if info.exists && info.wallet != address {
            context.log.warning(
                "stake_wallet_differs",
                "the stake for device \(deviceID) pays out to \(info.wallet), "
                    + "not to this wallet \(address)")
        }
        let document: JSON = [
            "address": .string(address.checksummed), "chain_id": .uint64(config.chainID),
            "device_id": .string(deviceID),
            "native": amount(native, 18),
            "token": [
                "address": .string(config.token.checksummed), "symbol": .string(symbol), "decimals": .int(decimals),
                "balance": .string(Amount.format(tokens, decimals: decimals)),
                "base_units": .string(tokens.description),
            ],
            "stake": .object(stakeDocument),
        ]
        context.output(
            document,
            human: [
                ("address", address.checksummed),
                ("chain id", String(config.chainID)),
                ("device id", deviceID),
                ("native balance", Amount.format(native, decimals: 18) + " (\(native) wei)"),
                ("token balance", "\(Amount.format(tokens, decimals: decimals)) \(symbol)"),
                (
                    "staked",
                    info.exists ? "\(Amount.format(info.balance, decimals: decimals)) \(symbol)" : "nothing staked"
                ),
                ("stake contract holds", "\(Amount.format(held, decimals: decimals)) \(symbol)"),
            ])
    }
}
