import Shared

/// `prty-wallet address`: the node's EIP-55 address, from the keystore's `address` field (no password), or with
/// `--verify` from the decrypted key. The runner calls it for the node's identity and relies on exit 78 when
/// there is no key yet.
struct AddressCommand {
    static let command = Command(
        "address", summary: "print the node's address (no password needed; --verify decrypts and checks it)",
        options: [
            Option("verify", help: "decrypt the key and check that it gives the keystore's address"),
            WalletOptions.keystore, WalletOptions.prtyPasswordFile, WalletOptions.human,
        ],
        examples: ["prty-wallet address", "prty-wallet address --verify --password-file ~/.parity/password"],
        discussion: """
            Writes {"address": "0x<EIP-55>", "keystore": PATH}. Exits 78 when there is no keystore \
            (run 'prty-wallet auth' first).
            """)

    let context: WalletContext
    let verify: Bool

    init(_ invocation: Invocation) throws {
        context = try WalletContext(invocation)
        verify = invocation.arguments.flag("verify")
    }

    func run() throws {
        let path = context.keystorePath
        var document: [String: JSON] = ["keystore": .string(path)]
        let address: Address
        if verify {
            let key = try context.privateKey(purpose: "to verify the address")
            address = key.address
            document["verified"] = true
        } else {
            if let mode = KeyFile.looseMode(path) {
                context.log.warning(
                    "loose_permissions",
                    "\(path) has mode \(mode): other users can read it; run 'chmod 600 \(path)' "
                        + "(commands that use the key refuse it until then)")
            }
            address = try context.address()
        }
        document["address"] = .string(address.checksummed)
        var lines = [("address", address.checksummed), ("keystore", path)]
        if verify { lines.append(("verified", "yes: the key gives this address")) }
        context.output(.object(document), human: lines)
    }
}
