import Shared
import Testing

@testable import prty_wallet

/// The declaration that drives parsing, help and completions names the tool and shows an example.
struct WalletCommandTests {
    @Test func declarationIsComplete() {
        #expect(Wallet.command.name == "prty-wallet")
        #expect(!Wallet.command.examples.isEmpty)
        #expect(Help.render(Wallet.command, path: ["prty-wallet"]).contains("Exit status:"))
    }
}
