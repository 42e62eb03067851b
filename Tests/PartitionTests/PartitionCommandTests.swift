import Shared
import Testing
@testable import prty_partition

struct PartitionCommandTests {
    @Test func declarationIsComplete() {
        #expect(Partition.command.name == "prty-partition")
        #expect(!Partition.command.examples.isEmpty)
    }
}
