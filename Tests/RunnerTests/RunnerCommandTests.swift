import Shared
import Testing

@testable import prty_runner

/// The declaration that drives parsing, help and completions names the tool and shows an example.
struct RunnerCommandTests {
    @Test func declarationIsComplete() {
        #expect(Runner.command.name == "prty-runner")
        #expect(!Runner.command.examples.isEmpty)
        #expect(Help.render(Runner.command, path: ["prty-runner"]).contains("Exit status:"))
    }
}
