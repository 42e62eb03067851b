/// prty-wallet's keys: the chain, the two contracts, the keystore and the bounds on transactions. The names
/// are the original runner's (`BLOCKCHAIN_*`); see docs/configuration.md.
extension SettingKey {
    public static let blockchainRPC = SettingKey(
        "BLOCKCHAIN_RPC", .url, default: "http://127.0.0.1:8545",
        doc: "the Ethereum JSON-RPC endpoint (http or https)")
    public static let blockchainChainID = SettingKey(
        "BLOCKCHAIN_CHAIN_ID", .int(minimum: 1), default: "1",
        doc: "the chain id transactions are signed for; checked against the node's eth_chainId before signing")
    public static let blockchainTokenAddress = SettingKey(
        "BLOCKCHAIN_TOKEN_ADDRESS", .string, default: "0xb3042734b608a1B16e9e86B374A3f3e389B4cDf0",
        doc: "the PRTY ERC-20 token contract (0x + 40 hex digits; a mixed-case address must carry its EIP-55 checksum)")
    public static let blockchainStakeWalletAddress = SettingKey(
        "BLOCKCHAIN_STAKE_WALLET_ADDRESS", .string, default: "0x7465E7a637f66cb7b294B856A25bc84aBfF1d247",
        doc: "the staking contract (ParityWallet) that holds stakes by device id")
    public static let blockchainTokenSymbol = SettingKey(
        "BLOCKCHAIN_TOKEN_SYMBOL", .string, default: "PRTY",
        doc: "the symbol the token is expected to report; a token reporting another symbol is warned about")
    public static let blockchainKeystore = SettingKey(
        "BLOCKCHAIN_KEYSTORE", .path, default: "~/.parity/keystore.json",
        doc: "the node's encrypted key (Web3 Secret Storage v3, as geth and cast write it); flag --keystore")
    public static let blockchainRPCTimeout = SettingKey(
        "BLOCKCHAIN_RPC_TIMEOUT", .duration, default: "30s",
        doc: "timeout of one JSON-RPC request")
    public static let blockchainReceiptTimeout = SettingKey(
        "BLOCKCHAIN_RECEIPT_TIMEOUT", .duration, default: "5m",
        doc: "how long stake and unstake wait for a transaction to be mined (and confirmed)")
    public static let blockchainPollInterval = SettingKey(
        "BLOCKCHAIN_POLL_INTERVAL", .duration, default: "1s",
        doc: "how often a pending transaction's receipt is asked for")
    public static let blockchainConfirmations = SettingKey(
        "BLOCKCHAIN_CONFIRMATIONS", .int(minimum: 1), default: "1",
        doc: "blocks a transaction must be buried under (1 = mined) before it counts; flag --confirmations")
    public static let blockchainMaxFeeGwei = SettingKey(
        "BLOCKCHAIN_MAX_FEE_GWEI", .string, default: "500",
        doc: "the most a transaction may pay per unit of gas, in gwei (decimal); higher fees are refused")
    public static let blockchainGasMarginPercent = SettingKey(
        "BLOCKCHAIN_GAS_MARGIN_PERCENT", .int(minimum: 0), default: "20",
        doc: "headroom added to eth_estimateGas for the gas limit, in percent")
    public static let prtyPasswordFile = SettingKey(
        "PRTY_PASSWORD_FILE", .path, default: "",
        doc: "a file whose first line is the keystore password (flag --password-file); empty = ask on the terminal")

    static let blockchainKeys: [SettingKey] = [
        .blockchainRPC, .blockchainChainID, .blockchainTokenAddress, .blockchainStakeWalletAddress,
        .blockchainTokenSymbol, .blockchainKeystore, .blockchainRPCTimeout, .blockchainReceiptTimeout,
        .blockchainPollInterval, .blockchainConfirmations, .blockchainMaxFeeGwei, .blockchainGasMarginPercent,
        .prtyPasswordFile,
    ]
}
