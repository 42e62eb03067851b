import Shared
import Testing
@testable import prty_train

struct TrainCommandTests {
    @Test func declarationIsComplete() {
        #expect(Train.command.name == "prty-train")
        #expect(!Train.command.examples.isEmpty)
    }
}
