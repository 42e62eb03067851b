import Shared
import Testing

@testable import prty_train

struct ValidationSplitTests {
    @Test func disjointCoveringAndSeeded() {
        let split = ValidationSplit(rows: 103, fraction: 0.2, seed: 9)
        #expect(split.validation.count == 21)  // ⌈103 × 0.2⌉
        #expect(Set(split.training).isDisjoint(with: split.validation))
        #expect((split.training + split.validation).sorted() == Array(0..<103))
        #expect(split == ValidationSplit(rows: 103, fraction: 0.2, seed: 9))
        #expect(split != ValidationSplit(rows: 103, fraction: 0.2, seed: 10))
        #expect(split.training == split.training.sorted())
    }

    @Test func alwaysLeavesARowToTrainOn() {
        #expect(ValidationSplit(rows: 1, fraction: 0.5, seed: 1).training == [0])
        #expect(ValidationSplit(rows: 2, fraction: 0.9, seed: 1).training.count == 1)
        #expect(ValidationSplit(rows: 50, fraction: 0, seed: 1).validation.isEmpty)
    }
}
