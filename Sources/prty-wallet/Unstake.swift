import Shared

/// `prty-wallet unstake --amount TOKENS`: `withdrawFunds(deviceId, amount)` on the staking contract, which pays
/// the tokens to the wallet address stored with the stake. The stake is checked first.
struct Unstake {
    static let command = Command(
        "unstake", summary: "withdraw staked tokens for this node's device id",
        options: [
            WalletOptions.amount, WalletOptions.dryRun, WalletOptions.confirmations, WalletOptions.keystore,
            WalletOptions.prtyPasswordFile, WalletOptions.human,
        ],
        examples: ["prty-wallet unstake --amount 2", "prty-wallet unstake --amount 2 --dry-run"],
        discussion: """
            Writes {"action": "unstake", "amount", "base_units", "device_id", "paid_to", "transactions": […], \
            "stake": {…}}. The contract pays the wallet address recorded with the stake.
            """)

    let context: WalletContext
    let amountText: String
    let dryRun: Bool

    init(_ invocation: Invocation) throws {
        guard let text = invocation.arguments.value("amount") else {
            throw UsageError("unstake needs --amount with a positive number of tokens, e.g. --amount 2")
        }
        try Amount.check(text)
        amountText = text
        dryRun = invocation.arguments.flag("dry-run")
        context = try WalletContext(invocation)
        _ = try context.chainConfig()
    }

    func run() async throws {
        let (address, unlocked) = try context.signer(purpose: "to unstake \(amountText) tokens")
        let config = try await context.connect()
        let deviceID = try context.deviceID()
        let token = Token(chain: config.chain, address: config.token)
        let stakeWallet = StakeWallet(chain: config.chain, address: config.stakeWallet)
        let decimals = try await token.decimals()
        let symbol = try await token.symbol()
        let amount = try Amount.parse(amountText, decimals: decimals)
        let info = try await stakeWallet.info(deviceID: deviceID)
        guard info.exists, info.balance >= amount else {
            throw WalletError.insufficient(
                "insufficient stake: device \(deviceID) has \(Amount.format(info.balance, decimals: decimals)) \(symbol) "
                    + "staked, cannot withdraw \(Amount.format(amount, decimals: decimals)) \(symbol); nothing was sent"
            )
        }
        if info.wallet != address {
            context.log.warning(
                "stake_wallet_differs",
                "the contract pays this withdrawal to \(info.wallet), "
                    + "the address recorded with the stake, not to \(address)")
        }
        let key = try unlocked ?? context.privateKey(purpose: "to unstake \(amountText) \(symbol)")
        var sender = try await Sender(config: config, key: key, dryRun: dryRun, log: context.log)
        let outcome = try await sender.send(
            "withdrawFunds", to: config.stakeWallet,
            data: StakeWallet.withdrawFundsCall(deviceID: deviceID, amount: amount))
        var document: [String: JSON] = [
            "action": "unstake", "amount": .string(Amount.format(amount, decimals: decimals)),
            "base_units": .string(amount.description), "device_id": .string(deviceID), "symbol": .string(symbol),
            "paid_to": .string(info.wallet.checksummed), "dry_run": .bool(dryRun), "transactions": [outcome.json],
        ]
        var lines = [
            (dryRun ? "would unstake" : "unstaked", "\(Amount.format(amount, decimals: decimals)) \(symbol)"),
            ("paid to", info.wallet.checksummed),
        ]
        if !dryRun {
            let after = try await stakeWallet.info(deviceID: deviceID)
            document["stake"] = [
                "balance": .string(Amount.format(after.balance, decimals: decimals)),
                "base_units": .string(after.balance.description),
            ]
            lines.append(("stake now", "\(Amount.format(after.balance, decimals: decimals)) \(symbol)"))
        }
        lines.append(("withdrawFunds", outcome.raw ?? outcome.hash))
        context.output(.object(document), human: lines)
    }
}
