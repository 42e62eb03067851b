import Testing

@testable import Shared
@testable import prty_partition

struct PartitionCommandTests {
    @Test func declarationIsComplete() {
        #expect(Partition.command.name == "prty-partition")
        #expect(!Partition.command.examples.isEmpty)
        let names = Partition.command.options.map(\.long)
        for flag in [
            "task", "strategy", "parts", "index", "alpha", "min-samples", "overlap", "self-balancing", "seed",
            "holdout", "take", "stats", "human",
        ] {
            #expect(names.contains(flag), "--\(flag) is declared")
        }
        #expect(Partition.command.options.first { $0.long == "strategy" }?.completion == .choices(Strategy.names))
    }

    static func config(_ words: [String], task: String? = nil) throws -> PartitionConfig {
        guard case .run(let arguments) = try Arguments.parse(words, for: Partition.command) else {
            throw UsageError("not a run")
        }
        let taskConfig = try task.map { try TaskConfig(document: JSONParser.parse($0)) } ?? .empty
        return try PartitionConfig(task: taskConfig, arguments: arguments)
    }

    @Test func defaultsAreOneRandomPartAndSeedZero() throws {
        let config = try Self.config([])
        #expect(config == PartitionConfig())
        #expect(config.strategy == .random && config.totalParts == 1 && config.partIndex == 0 && config.seed == 0)
    }

    @Test func theTaskGivesTheSectionAndFlagsOverrideSingleFields() throws {
        let task = """
            {"session_id": "s-1", "round_id": "r-1", "seed": 7,
             "partition_config": {"strategy": "Dirichlet", "total_parts": 4, "part_index": 2, "alpha": 0.5,
                                  "min_samples": 3, "overlap_ratio": 0.1, "self_balancing": true, "holdout": 0.2}}
            """
        let fromTask = try Self.config([], task: task)
        #expect(fromTask.strategy == .nonIID && fromTask.totalParts == 4 && fromTask.partIndex == 2)
        #expect(fromTask.alpha == 0.5 && fromTask.minSamples == 3 && fromTask.overlapRatio == 0.1)
        #expect(fromTask.selfBalancing && fromTask.holdout == 0.2 && fromTask.seed == 7)

        let overridden = try Self.config(["--index", "0", "--alpha", "2", "--seed", "9", "--parts", "5"], task: task)
        #expect(
            overridden.partIndex == 0 && overridden.alpha == 2 && overridden.seed == 9 && overridden.totalParts == 5)
        #expect(overridden.strategy == .nonIID && overridden.minSamples == 3)
    }

    @Test func theSeedComesFromTheSessionWhenTheTaskHasNone() throws {
        let config = try Self.config([], task: #"{"session_id": "abc", "partition_config": {"strategy": "iid"}}"#)
        #expect(config.seed == Seeds.session(id: "abc"))
        #expect(config.seed != 0)
        // The round does not enter: the partition is the same in every round.
        let other = try Self.config([], task: #"{"session_id": "abc", "round_id": "9"}"#)
        #expect(other.seed == config.seed)
    }

    @Test(arguments: [
        (["--parts", "0"], PartitionError.tooFewParts(0)),
        (["--parts", "3", "--index", "3"], .partIndexOutOfRange(index: 3, parts: 3)),
        (["--parts", "1000001"], .tooManyParts(1_000_001)),
        (["--index", "-1"], .partIndexOutOfRange(index: -1, parts: 1)),
        (["--strategy", "non_iid"], .alphaMissing),
        (["--strategy", "non_iid", "--alpha", "0"], .alphaNotPositive(0)),
        (["--strategy", "dirichlet", "--alpha", "-1.5"], .alphaNotPositive(-1.5)),
        (["--min-samples", "-1"], .negativeMinSamples(-1)),
        (["--overlap", "1.5"], .overlapOutOfRange(1.5)),
        (["--holdout", "1"], .holdoutOutOfRange(1)),
        (["--take", "test"], .testNeedsHoldout),
    ])
    func badConfigurationsAreRefused(words: [String], error: PartitionError) {
        #expect(throws: error) { try Self.config(words) }
        #expect(error.exitStatus == .usage)
    }

    @Test func messagesNameTheKeyAndTheWayOut() {
        #expect(
            PartitionError.alphaNotPositive(0).description
                == "alpha parameter must be positive for non-IID partitioning, got 0.000000")
        #expect(
            PartitionError.partIndexOutOfRange(index: 3, parts: 3).description
                == "part_index (--index) 3 is out of range for 3 parts; expected 0...2")
        #expect(
            PartitionError.unknownStrategy("foo").description
                == "unknown partition strategy 'foo'; known strategies: random, iid, stratified, sequential, non_iid, "
                + "dirichlet, label_skew")
        #expect(PartitionError.needsClasses(.stratified).exitStatus == .dataError)
    }

    @Test func theTaskSectionIsCheckedToo() {
        #expect(throws: PartitionError.unknownStrategy("shards")) {
            try Self.config([], task: #"{"partition_config": {"strategy": "shards"}}"#)
        }
        #expect(throws: UsageError.self) { try Self.config([], task: #"{"partition_config": {"parts": 3}}"#) }
        #expect(throws: UsageError.self) { try Self.config([], task: #"{"partition_config": {"total_parts": 2.5}}"#) }
        #expect(throws: PartitionError.tooFewParts(0)) {
            try Self.config([], task: #"{"partition_config": {"total_parts": 0}}"#)
        }
        #expect(throws: UsageError.self) { try Self.config(["--seed", "-3"]) }
        #expect(throws: UsageError.self) { try Self.config(["--alpha", "x"]) }
    }
}
