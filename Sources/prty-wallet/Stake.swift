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

    let context: WalletContext
    let amountText: String
    let dryRun: Bool

    init(_ invocation: Invocation) throws {
        guard let text = invocation.arguments.value("amount") else {
            throw UsageError("stake needs --amount with a positive number of tokens, e.g. --amount 10.5")
        }
        try Amount.check(text)  // form, sign and zero now; precision once the token's decimals are known
        amountText = text
        dryRun = invocation.arguments.flag("dry-run")
        context = try WalletContext(invocation)
        _ = try context.chainConfig()
    }

    func run() async throws {
        let (address, unlocked) = try context.signer(purpose: "to stake \(amountText) tokens")
        let config = try await context.connect()
        let deviceID = try context.deviceID()
        let token = Token(chain: config.chain, address: config.token)
        let stakeWallet = StakeWallet(chain: config.chain, address: config.stakeWallet)
        let decimals = try await token.decimals()
        let symbol = try await token.symbol()
        let amount = try Amount.parse(amountText, decimals: decimals)
        let balance = try await token.balance(of: address)
        guard balance >= amount else {
            throw WalletError.insufficient(
                "insufficient token balance: \(address) holds \(Amount.format(balance, decimals: decimals)) \(symbol), "
                    + "the stake needs \(Amount.format(amount, decimals: decimals)) \(symbol); nothing was sent")
        }
        let before = try await stakeWallet.info(deviceID: deviceID)
        if before.exists && before.wallet != address {
            context.log.warning(
                "stake_wallet_differs",
                "device \(deviceID)'s stake paid out to \(before.wallet); "
                    + "this stake makes it pay out to \(address)")
        }
        let key = try unlocked ?? context.privateKey(purpose: "to stake \(amountText) \(symbol)")
        var sender = try await Sender(config: config, key: key, dryRun: dryRun, log: context.log)
        var outcomes: [Sender.Outcome] = []
        let allowance = try await token.allowance(owner: address, spender: config.stakeWallet)
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
        var document: [String: JSON] = [
            "action": "stake", "amount": .string(Amount.format(amount, decimals: decimals)),
            "base_units": .string(amount.description), "device_id": .string(deviceID), "symbol": .string(symbol),
            "dry_run": .bool(dryRun), "transactions": .array(outcomes.map(\.json)),
        ]
        var lines = [("staked", "\(Amount.format(amount, decimals: decimals)) \(symbol)"), ("device id", deviceID)]
        if dryRun { lines[0].0 = "would stake" }
        if !dryRun {
            let after = try await stakeWallet.info(deviceID: deviceID)
            document["stake"] = [
                "balance": .string(Amount.format(after.balance, decimals: decimals)),
                "base_units": .string(after.balance.description),
            ]
            lines.append(("stake now", "\(Amount.format(after.balance, decimals: decimals)) \(symbol)"))
        }
        lines += outcomes.map { ($0.purpose, $0.raw ?? "\($0.hash) (block \($0.block.map(String.init) ?? "?"))") }
        context.output(.object(document), human: lines)
    }
}
