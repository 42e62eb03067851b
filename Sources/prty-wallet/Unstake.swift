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

    let change: StakeChange

    init(_ invocation: Invocation) throws {
        change = try StakeChange(invocation, action: "unstake", example: "2")
    }

    func run() async throws {
        let context = change.context
        let stake = try await change.prepare()
        let (address, deviceID, amount) = (stake.address, stake.deviceID, stake.amount)
        let info = try await stake.stakeWallet.info(deviceID: deviceID)
        guard info.exists, info.balance >= amount else {
            throw WalletError.insufficient(
                "insufficient stake: device \(deviceID) has \(stake.tokens(info.balance)) "
                    + "staked, cannot withdraw \(stake.tokens(amount)); nothing was sent"
            )
        }
        if info.wallet != address {
            context.log.warning(
                "stake_wallet_differs",
                "the contract pays this withdrawal to \(info.wallet), "
                    + "the address recorded with the stake, not to \(address)")
        }
        var sender = try await change.sender(stake)
        let outcome = try await sender.send(
            "withdrawFunds", to: stake.config.stakeWallet,
            data: StakeWallet.withdrawFundsCall(deviceID: deviceID, amount: amount))
        var document = change.document(stake)
        document["paid_to"] = .string(info.wallet.checksummed)
        document["transactions"] = [outcome.json]
        var lines = [
            (change.dryRun ? "would unstake" : "unstaked", stake.tokens(amount)),
            ("paid to", info.wallet.checksummed),
        ]
        try await change.reportStakeNow(stake, document: &document, lines: &lines)
        lines.append(("withdrawFunds", outcome.raw ?? outcome.hash))
        context.output(.object(document), human: lines)
    }
}
