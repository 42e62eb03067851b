import Shared
import Testing

@testable import prty_fetch

struct FetchCommandTests {
    @Test func declarationIsComplete() {
        #expect(Fetch.command.name == "prty-fetch")
        #expect(!Fetch.command.examples.isEmpty)
    }
}
