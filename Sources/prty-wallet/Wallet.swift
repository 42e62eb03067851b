import Shared

/// `prty-wallet`: the node's key, address, balances and stake.
@main
enum Wallet {
    static let command = Command(
        "prty-wallet",
        summary: "the node's key (encrypted keystore), address, ERC-20 balance and stake",
        examples: [
            "prty-wallet auth --private-key-file key.txt",
            "prty-wallet address",
            "prty-wallet balance --human",
            "prty-wallet stake --amount 10.5",
        ],
        subcommands: [Auth.command, AddressCommand.command, Balance.command, Stake.command, Unstake.command],
        discussion: """
            Configuration: BLOCKCHAIN_RPC, BLOCKCHAIN_CHAIN_ID, BLOCKCHAIN_TOKEN_ADDRESS, \
            BLOCKCHAIN_STAKE_WALLET_ADDRESS and the other BLOCKCHAIN_* keys (see .env.sample). The key lives in a \
            Web3 Secret Storage v3 keystore (scrypt, aes-128-ctr), the format geth and cast use.
            """)

    static func main() async {
        await Tool.run(command) { invocation in
            switch invocation.subcommand.first {
            case "auth": try Auth(invocation).run()
            case "address": try AddressCommand(invocation).run()
            case "balance": try await Balance(invocation).run()
            case "stake": try await Stake(invocation).run()
            case "unstake": try await Unstake(invocation).run()
            default: throw UsageError("unknown command; see 'prty-wallet --help'")
            }
        }
    }
}
