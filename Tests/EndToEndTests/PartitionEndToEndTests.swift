import Foundation
import Shared
import TestSupport
import Testing

/// prty-partition as participants run it: one process per part, each computing the whole plan from the seed and
/// writing its own part. Checked through the built binary: disjoint and covering parts, byte-identical output,
/// metadata passing through, --stats, and every refused configuration (exit status, last stderr line, no stdout).
struct PartitionEndToEndTests {
    /// A refused configuration exits before reading stdin; writing the dataset then must fail with EPIPE rather
    /// than kill the test process with SIGPIPE.
    init() { signal(SIGPIPE, SIG_IGN) }

    /// A classification dataset whose first feature is the row's id, so parts can be traced back to rows.
    static func dataset(_ count: Int, classes: Int = 3, extra: String = "") -> Data {
        let rows = (0..<count).map { "[\($0),\(Double($0 % 7) * 0.5)]" }.joined(separator: ",")
        let labels = (0..<count).map { String(($0 / 2) % classes) }.joined(separator: ",")
        return Data(#"{"features":[\#(rows)],"labels":[\#(labels)]\#(extra)}"#.utf8)
    }

    static func run(_ arguments: [String], stdin: Data) throws -> ToolResult {
        try runTool("prty-partition", arguments, stdin: stdin)
    }

    /// The ids (first feature) of the rows a run wrote, and the Dataset itself.
    static func part(_ arguments: [String], stdin: Data) throws -> (ids: [Int], dataset: Dataset) {
        let result = try run(arguments, stdin: stdin)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        let dataset = try DatasetReader.read(Array(result.stdout))
        let ids = (0..<dataset.count).map { Int(dataset.features[$0 * dataset.width]) }
        return (ids, dataset)
    }

    @Test(arguments: ["random", "iid", "stratified", "sequential", "non_iid", "dirichlet", "label_skew"])
    func participantsGetDisjointPartsThatCoverTheTrainingSet(strategy: String) throws {
        let input = Self.dataset(101)
        for holdout in ["0", "0.2"] {
            var common = ["--strategy", strategy, "--parts", "4", "--seed", "42", "--holdout", holdout]
            if strategy == "non_iid" || strategy == "dirichlet" { common += ["--alpha", "0.5"] }
            var seen = [Int]()
            var sizes: JSON?
            for index in 0..<4 {
                let (ids, part) = try Self.part(common + ["--index", String(index)], stdin: input)
                seen += ids
                let partition = try #require(part.partition)
                #expect(partition["part_index"] == .int(index))
                #expect(partition["sizes"]?.arrayValue?[index] == .int(ids.count))
                if let sizes { #expect(partition["sizes"] == sizes, "every participant sees the same sizes") }
                sizes = partition["sizes"]
            }
            var test = [Int]()
            if holdout != "0" {
                test = try Self.part(common + ["--take", "test"], stdin: input).ids
                #expect(test.count == 20)
            }
            #expect(seen.count == Set(seen).count, "\(strategy): parts are disjoint")
            #expect(Set(seen).isDisjoint(with: test), "\(strategy): the held-out rows are in no part")
            #expect(Set(seen).union(test) == Set(0..<101), "\(strategy): parts and test set cover the data")
        }
    }

    @Test func overlapCopiesTheFirstRowsOfTheNextPart() throws {
        let input = Self.dataset(60)
        let base = ["--strategy", "stratified", "--parts", "3", "--seed", "5"]
        let own = try (0..<3).map { try Self.part(base + ["--index", String($0)], stdin: input).ids }
        for index in 0..<3 {
            let ids = try Self.part(base + ["--index", String(index), "--overlap", "0.25"], stdin: input).ids
            #expect(ids == own[index] + own[(index + 1) % 3].prefix(5))
        }
    }

    @Test func theSameInputGivesByteIdenticalOutput() throws {
        let input = Self.dataset(200, extra: #","feature_names":["id","x"],"source":{"cid":"QmX","format":"json"}"#)
        for arguments in [
            ["--strategy", "non_iid", "--alpha", "0.3", "--parts", "5", "--index", "2", "--seed", "9"],
            ["--strategy", "label_skew", "--parts", "2", "--index", "1", "--overlap", "0.5"],
            ["--holdout", "0.3", "--take", "test", "--seed", "1"], ["--stats", "--parts", "4"],
        ] {
            let first = try Self.run(arguments, stdin: input)
            let second = try Self.run(arguments, stdin: input)
            #expect(first.status == 0 && !first.stdout.isEmpty, "\(arguments): \(first.stderr)")
            #expect(first.stdout == second.stdout, "\(arguments)")
        }
    }

    @Test func theTaskDrivesThePartitionAndTheSessionGivesTheSeed() throws {
        let input = Self.dataset(90)
        let task = #"""
            {"id": "t-1", "type": "federated_learning", "config": {"session_id": "session-7", "round_id": "r1",
             "partition_config": {"strategy": "stratified", "total_parts": 3, "part_index": 1}}}
            """#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prty-partition-task-\(getpid()).json")
        try Data(task.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromTask = try Self.run(["--task", file.path], stdin: input)
        #expect(fromTask.status == 0, "\(fromTask.stderr)")
        let seed = Seeds.session(id: "session-7")
        let explicit = try Self.run(
            [
                "--strategy", "stratified", "--parts", "3", "--index", "1", "--seed",
                String(seed),
            ], stdin: input)
        #expect(fromTask.stdout == explicit.stdout)
        // A later round of the same session gets the same part.
        let nextRound = try Self.run(["--task", task.replacingOccurrences(of: "\"r1\"", with: "\"r2\"")], stdin: input)
        #expect(nextRound.stdout == fromTask.stdout)
        // Flags override single fields of the task.
        let other = try Self.part(["--task", task, "--index", "2"], stdin: input).dataset
        #expect(other.partition?["part_index"] == 2 && other.partition?["seed"] == .uint64(seed))
    }

    @Test func metadataPassesThroughUnchanged() throws {
        let input = Data(
            #"""
            {"format":"prty.dataset/1","features":[[1],[2],[3],[4]],"labels":[0,1,0,1],"task":"classification",
             "classes":[0,1,2],"label_names":["a","b","c"],"feature_names":["f"],"source":{"cid":"QmY","format":"csv"}}
            """#.utf8)
        let part = try Self.part(["--strategy", "stratified", "--parts", "2", "--index", "0"], stdin: input).dataset
        #expect(part.classes == [0, 1, 2])
        #expect(part.labelNames == ["a", "b", "c"] && part.featureNames == ["f"])
        #expect(part.source == ["cid": "QmY", "format": "csv"])
        #expect(part.partition?["class_counts"] == [[1, 1, 0], [1, 1, 0]])
        #expect(part.count == 2)
    }

    @Test func statsReportSizesClassCountsAndSkew() throws {
        let input = Self.dataset(120)
        let result = try Self.run(["--strategy", "label_skew", "--parts", "3", "--stats"], stdin: input)
        #expect(result.status == 0)
        let stats = try JSONParser.parse(Array(result.stdout))
        #expect(stats["sizes"] == [40, 40, 40])
        #expect(stats["class_counts"] == [[40, 0, 0], [0, 40, 0], [0, 0, 40]])
        let skew = try #require(stats["skew"]?.doubleValue)
        #expect(abs(skew - 2.0 / 3) < 1e-9)

        let table = try Self.run(["--strategy", "label_skew", "--parts", "3", "--stats", "--human"], stdin: input)
        #expect(table.status == 0)
        #expect(table.stdoutText.hasPrefix("label_skew · 3 parts · seed 0 · 120 training, 0 held-out samples\n"))
        #expect(table.stdoutText.contains("skew 0.667 "))
    }

    @Test func jsonLogsCarryATimingEvent() throws {
        let result = try Self.run(
            ["--log-format", "json", "--strategy", "random", "--parts", "2"],
            stdin: Self.dataset(50))
        #expect(result.status == 0)
        let event = try JSONParser.parse(result.lastErrorLine)
        #expect(event["event"] == "timing" && event["level"] == "debug" && event["samples"] == 50)
        for key in ["parse_s", "partition_s", "write_s"] { #expect(event[key]?.doubleValue != nil) }
        // People see nothing on success.
        let quiet = try Self.run(["--strategy", "random", "--parts", "2"], stdin: Self.dataset(50))
        #expect(quiet.stderr.isEmpty)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var input: String = "classification"
        var status: Int32
        var message: String
        /// Whether `message` is the whole last line (else its beginning).
        var exact = true
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(
            arguments: ["--strategy", "non_iid", "--alpha", "0"], status: 64,
            message: "alpha parameter must be positive for non-IID partitioning, got 0.000000"),
        Refusal(
            arguments: ["--strategy", "dirichlet", "--alpha", "-0.5"], status: 64,
            message: "alpha parameter must be positive for non-IID partitioning, got -0.500000"),
        Refusal(
            arguments: ["--strategy", "non_iid"], status: 64,
            message: "alpha parameter is required for non_iid partitioning; give --alpha (e.g. 0.5) or "
                + "partition_config.alpha"),
        Refusal(
            arguments: ["--parts", "3", "--index", "3"], status: 64,
            message: "part_index (--index) 3 is out of range for 3 parts; expected 0...2"),
        Refusal(arguments: ["--parts", "0"], status: 64, message: "total_parts (--parts) must be at least 1, got 0"),
        Refusal(
            arguments: ["--parts", "2000000"], status: 64,
            message: "total_parts (--parts) 2000000 is more than prty-partition splits into (at most 1000000)"),
        Refusal(
            arguments: ["--parts", "two"], status: 64, message: "--parts expects an integer in 1...1000000, got 'two'"),
        Refusal(
            arguments: ["--strategy", "shards"], status: 64,
            message: "option --strategy must be one of random, iid, stratified, sequential, non_iid, dirichlet, "
                + "label_skew, got 'shards'"),
        Refusal(
            arguments: ["--task", #"{"partition_config": {"strategy": "shards"}}"#], status: 64,
            message: "unknown partition strategy 'shards'; known strategies: random, iid, stratified, sequential, "
                + "non_iid, dirichlet, label_skew"),
        Refusal(
            arguments: ["--task", #"{"partition_config": {"parts": 2}}"#], status: 64,
            message: "unknown key 'parts' in partition_config; known keys: strategy, total_parts, part_index, "
                + "alpha, min_samples, overlap_ratio, self_balancing, holdout"),
        Refusal(
            arguments: ["--overlap", "2"], status: 64, message: "overlap_ratio (--overlap) must be in [0, 1], got 2"),
        Refusal(
            arguments: ["--holdout", "1"], status: 64,
            message: "holdout (--holdout) must be a fraction in [0, 1), got 1"),
        Refusal(
            arguments: ["--take", "test"], status: 64,
            message: "--take test needs a held-out set: give --holdout FRACTION (or partition_config.holdout) "
                + "above 0"),
        Refusal(
            arguments: ["--take", "all"], status: 64, message: "option --take must be one of train, test, got 'all'"),
        Refusal(arguments: ["--human"], status: 64, message: "--human formats the --stats table; add --stats"),
        Refusal(
            arguments: ["--min-samples", "-2"], status: 64,
            message: "min_samples (--min-samples) must be 0 or more, got -2"),
        Refusal(
            arguments: ["--seed", "-1"], status: 64,
            message: "--seed expects an integer in 0...18446744073709551615, got '-1'"),
        Refusal(
            arguments: ["--parts", "4", "--min-samples", "16"], status: 64,
            message: "min_samples 16 for each of 4 parts cannot be met: the training set has 60 samples (at most "
                + "15 per part); lower min_samples or use fewer parts"),
        Refusal(
            arguments: ["--strategy", "non_iid", "--alpha", "0.01", "--parts", "4", "--min-samples", "14"],
            status: 64,
            message: "no Dirichlet(alpha=0.01) draw gave every part at least min_samples 14 samples in 10 draws ",
            exact: false),
        Refusal(
            arguments: ["--strategy", "label_skew", "--parts", "2", "--min-samples", "25"], status: 64,
            message: "label_skew gives part 1 only 20 samples, below min_samples 25; lower min_samples, use "
                + "fewer parts, or use another strategy"),
        Refusal(
            arguments: ["--strategy", "stratified"], input: "regression", status: 65,
            message: "strategy stratified splits by class, but the dataset's task is regression (it has no "
                + "classes); use random or sequential, or give a classification dataset"),
        Refusal(
            arguments: ["--strategy", "label_skew"], input: "regression", status: 65,
            message: "strategy label_skew splits by class", exact: false),
        Refusal(arguments: [], input: "malformed", status: 65, message: "", exact: false),
        Refusal(arguments: [], input: "empty", status: 65, message: "", exact: false),
    ]

    @Test(arguments: refusals)
    func badConfigurationsAreRefused(_ refusal: Refusal) throws {
        let input: Data =
            switch refusal.input {
            case "regression": Data(#"{"features":[[1],[2],[3]],"labels":[0.5,1.5,2.25]}"#.utf8)
            case "malformed": Data(#"{"features":[[1],[2]],"labels":[0]"#.utf8)
            case "empty": Data()
            default: Self.dataset(60)
            }
        let result = try Self.run(refusal.arguments, stdin: input)
        #expect(result.status == refusal.status, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.lastErrorLine.hasPrefix("prty-partition: \(refusal.message)"), "\(result.lastErrorLine)")
        if refusal.exact { #expect(result.lastErrorLine == "prty-partition: \(refusal.message)") }
    }

    @Test func failuresInJSONLogsEndWithAnErrorEvent() throws {
        let result = try Self.run(["--log-format", "json", "--parts", "0"], stdin: Self.dataset(5))
        #expect(result.status == 64)
        let event = try JSONParser.parse(result.lastErrorLine)
        #expect(event["event"] == "error" && event["exit_code"] == 64)
        #expect(event["message"] == "total_parts (--parts) must be at least 1, got 0")
    }

    @Test func anEmptyPartIsWrittenWithAWarning() throws {
        let result = try Self.run(["--parts", "5", "--index", "4"], stdin: Self.dataset(3))
        #expect(result.status == 0)
        #expect(try DatasetReader.read(Array(result.stdout), allowEmpty: true).count == 0)
        #expect(result.lastErrorLine.hasPrefix("prty-partition: warning: part 4 of 5 is empty"))
    }
}
