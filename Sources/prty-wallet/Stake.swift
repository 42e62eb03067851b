import Shared

/// `prty-wallet stake --amount TOKENS`: moves tokens into the staking contract under this node's device id.
/// Checks first (chain id, balance, amount precision), approves only when the allowance is short, then calls
/// `addFunds(amount, deviceId, wallet)`, waiting for each receipt. A revert exits 1 with its reason.
struct Stake {
    static let command = Command(
        "stake", summary: "stake tokens for this node's device id",
        options: [
            WalletOptions.amount, WalletOptions.dryRun, WalletOptions.confirmations, WalletOptions.keystore,
            WalletOptions.prtyPasswordFile, WalletOptions.human,
        ],
        examples: ["prty-wallet stake --amount 10.5", "prty-wallet stake --amount 1 --dry-run"],
        discussion: """
            Writes {"action": "stake", "amount", "base_units", "device_id", "transactions": [{"purpose", "hash", \
            "block", "gas_used", …}], "stake": {…}}. With --dry-run the transactions are signed and printed \
            ("raw") but not sent; an approve is then included when the allowance is short.
            """)

    let change: StakeChange

    init(_ invocation: Invocation) throws {
        change = try StakeChange(invocation, action: "stake", example: "10.5")
    }

    func run() async throws {
        let context = change.context
        let stake = try await change.prepare()
        let (address, deviceID, amount) = (stake.address, stake.deviceID, stake.amount)
        let balance = try await stake.token.balance(of: address)
        guard balance >= amount else {
            throw WalletError.insufficient(
                "insufficient token balance: \(address) holds \(stake.tokens(balance)), "
                    + "the stake needs \(stake.tokens(amount)); nothing was sent")
        }
        let before = try await stake.stakeWallet.info(deviceID: deviceID)
        if before.exists && before.wallet != address {
            context.log.warning(
                "stake_wallet_differs",
                "device \(deviceID)'s stake paid out to \(before.wallet); "
                    + "this stake makes it pay out to \(address)")
        }
        let config = stake.config
        var sender = try await change.sender(stake)
        var outcomes: [Sender.Outcome] = []
        let allowance = try await stake.token.allowance(owner: address, spender: config.stakeWallet)
        if allowance < amount {
            outcomes.append(
                try await sender.send(
                    "approve", to: config.token, data: Token.approveCall(spender: config.stakeWallet, amount: amount)))
        }
        outcomes.append(
            try await sender.send(
                "addFunds", to: config.stakeWallet,
                data: StakeWallet.addFundsCall(amount: amount, deviceID: deviceID, wallet: address),
                fallbackGas: 300_000))
        var document = change.document(stake)
        document["transactions"] = .array(outcomes.map(\.json))
        var lines = [(change.dryRun ? "would stake" : "staked", stake.tokens(amount)), ("device id", deviceID)]
        try await change.reportStakeNow(stake, document: &document, lines: &lines)
        lines += outcomes.map { ($0.purpose, $0.raw ?? "\($0.hash) (block \($0.block.map(String.init) ?? "?"))") }
        context.output(.object(document), human: lines)
    }
}
