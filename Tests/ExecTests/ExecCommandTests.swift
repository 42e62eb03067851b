import Shared
import Testing

@testable import prty_exec

/// The declaration that drives parsing, help and completions names the tool and shows an example.
struct ExecCommandTests {
    @Test func declarationIsComplete() {
        #expect(Exec.command.name == "prty-exec")
        #expect(!Exec.command.examples.isEmpty)
        #expect(Help.render(Exec.command, path: ["prty-exec"]).contains("Exit status:"))
        for sub in Exec.command.subcommands { #expect(!sub.examples.isEmpty, "\(sub.name)") }
    }
}
