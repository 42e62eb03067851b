import Shared

/// `prty-wallet`: the node's key, address, balances and stake.
@main
enum Wallet {
    static let command = Command(
        "prty-wallet",
        summary: "keys, address, ERC-20 balance and stake of the node (not built yet: no command is available)",
        examples: ["prty-wallet --version"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-wallet has no commands yet; see 'prty-wallet --help'")
        }
    }
}
