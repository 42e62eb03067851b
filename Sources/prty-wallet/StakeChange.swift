import Shared

/// What `stake` and `unstake` share: `--amount` and `--dry-run` checked before any network call, then the
/// connection, device id, token facts and exact amount both need before their own balance checks, and the stake
/// after the change for the report.
struct StakeChange {
    let context: WalletContext
    /// "stake" or "unstake": the document's `action`, and what a password prompt says the key is for.
    let action: String
    let amountText: String
    let dryRun: Bool

    /// `action` and `example` only shape the usage message (`stake needs --amount …, e.g. --amount 10.5`).
    init(_ invocation: Invocation, action: String, example: String) throws {
        guard let text = invocation.arguments.value("amount") else {
            throw UsageError("\(action) needs --amount with a positive number of tokens, e.g. --amount \(example)")
        }
        try Amount.check(text)  // form, sign and zero now; precision once the token's decimals are known
        self.action = action
        amountText = text
        dryRun = invocation.arguments.flag("dry-run")
        context = try WalletContext(invocation)
        _ = try context.chainConfig()
    }

    /// Connected to the chain (its id checked) with the token's decimals and symbol read.
    struct Prepared {
        let address: Address
        /// The key, when reading the address already needed it (a keystore without an address field).
        let unlocked: PrivateKey?
        let config: WalletContext.ChainConfig
        let deviceID: String
        let token: Token
        let stakeWallet: StakeWallet
        let decimals: Int
        let symbol: String
        let amount: UInt256

        /// `units` as tokens with the symbol: "10.5 PRTY".
        func tokens(_ units: UInt256) -> String { "\(Amount.format(units, decimals: decimals)) \(symbol)" }
    }

    func prepare() async throws -> Prepared {
        let (address, unlocked) = try context.signer(purpose: "to \(action) \(amountText) tokens")
        let config = try await context.connect()
        let deviceID = try context.deviceID()
        let token = Token(chain: config.chain, address: config.token)
        let decimals = try await token.decimals()
        return Prepared(
            address: address, unlocked: unlocked, config: config, deviceID: deviceID, token: token,
            stakeWallet: StakeWallet(chain: config.chain, address: config.stakeWallet), decimals: decimals,
            symbol: try await token.symbol(), amount: try Amount.parse(amountText, decimals: decimals))
    }

    /// The sender that signs the change: with the key reading the address unlocked, else with the key unlocked now.
    func sender(_ prepared: Prepared) async throws -> Sender {
        let key =
            try prepared.unlocked
            ?? context.privateKey(purpose: "to \(action) \(amountText) \(prepared.symbol)")
        return try await Sender(config: prepared.config, key: key, dryRun: dryRun, log: context.log)
    }

    /// The fields both documents start with: action, amount (tokens and base units), device id, symbol, dry run.
    func document(_ prepared: Prepared) -> [String: JSON] {
        [
            "action": .string(action), "amount": .string(Amount.format(prepared.amount, decimals: prepared.decimals)),
            "base_units": .string(prepared.amount.description), "device_id": .string(prepared.deviceID),
            "symbol": .string(prepared.symbol), "dry_run": .bool(dryRun),
        ]
    }

    /// After a sent change: the device's stake now, in the document and the human lines (nothing for a dry run).
    func reportStakeNow(
        _ prepared: Prepared, document: inout [String: JSON], lines: inout [(String, String)]
    ) async throws {
        guard !dryRun else { return }
        let after = try await prepared.stakeWallet.info(deviceID: prepared.deviceID)
        document["stake"] = [
            "balance": .string(Amount.format(after.balance, decimals: prepared.decimals)),
            "base_units": .string(after.balance.description),
        ]
        lines.append(("stake now", prepared.tokens(after.balance)))
    }
}
