import Foundation
import Shared
import TestSupport
import Testing

/// prty-train through the built binary: documents on stdout, exit statuses and the last stderr line on
/// failure, a federated round in pipes, SIGTERM between batches.
struct TrainEndToEndTests {
    /// prty-train refuses a bad task before it reads stdin, so the runner's write of the dataset may meet a
    /// closed pipe: that must be EPIPE for the writer, not SIGPIPE for the whole test process.
    init() { signal(SIGPIPE, SIG_IGN) }

    /// A Dataset document: `classes` Gaussian blobs, with string label names so predict maps them back.
    static func blobs(rows: Int, width: Int = 4, classes: Int = 3, seed: UInt64 = 1, names: Bool = true) -> Data {
        var random = SeededRandom(seed: seed)
        var centres: [[Double]] = []
        for _ in 0..<classes { centres.append((0..<width).map { _ in random.nextGaussian() * 3 }) }
        var features: [JSON] = []
        var labels: [JSON] = []
        for row in 0..<rows {
            let label = row % classes
            features.append(.doubles((0..<width).map { centres[label][$0] + random.nextGaussian() }))
            labels.append(.int(label))
        }
        var object: [String: JSON] = ["features": .array(features), "labels": .array(labels)]
        if names { object["label_names"] = .strings((0..<classes).map { "class-\($0)" }) }
        return Data(JSON.object(object).serialized().utf8)
    }

    static func regression(rows: Int, width: Int = 20, seed: UInt64 = 2) -> Data {
        var random = SeededRandom(seed: seed)
        var features: [JSON] = []
        var labels: [JSON] = []
        for _ in 0..<rows {
            let x = (0..<width).map { _ in random.nextGaussian() }
            features.append(.doubles(x))
            labels.append(.double(x.enumerated().reduce(0.5) { $0 + Double($1.offset + 1) * $1.element }))
        }
        return Data(
            JSON.object(["features": .array(features), "labels": .array(labels), "task": "regression"])
                .serialized().utf8)
    }

    static let nnTask =
        #"{"session_id": "e2e", "round_id": "r1", "model_type": "neural_network", "#
        + #""model_config": {"hidden_sizes": [16]}, "#
        + #""train_config": {"epochs": 20, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam"}}"#

    static func json(_ result: ToolResult) throws -> JSON { try JSONParser.parse(Array(result.stdout)) }

    static func timeless(_ json: JSON) -> String {
        var object = json.objectValue ?? [:]
        object["training_time"] = nil
        object["training_time_ms"] = nil
        return JSON.object(object).serialized()
    }

    /// A scratch directory removed at the end of the test.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("prty-train-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func expectFailure(
        _ result: ToolResult, status: Int32, _ prefix: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(
            result.lastErrorLine.hasPrefix("prty-train: \(prefix)"), "\(result.lastErrorLine)",
            sourceLocation: sourceLocation)
    }

    @Test func fitIsDeterministicApartFromTiming() throws {
        let data = Self.blobs(rows: 200)
        let a = try runTool("prty-train", ["--task", Self.nnTask], stdin: data)
        let b = try runTool("prty-train", ["fit", "--task", Self.nnTask], stdin: data)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(b.status == 0)
        let update = try Self.json(a)
        #expect(Self.timeless(update) == Self.timeless(try Self.json(b)))
        #expect(update["update_type"] == "delta" && update["data_size"] == 160)
        #expect((update["accuracy"]?.doubleValue ?? 0) > 0.9)
        #expect(a.stdoutText.hasSuffix("}\n") && !a.stdoutText.dropLast().contains("\n"))
        #expect(a.stderr.contains("training neural_network 4-16-3 on 160 rows (40 held out)"))
    }

    @Test func aWholeRoundInPipes() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try JSONParser.parse(Array(Self.blobs(rows: 300)))
        func part(_ range: Range<Int>) -> Data {
            var object = whole.objectValue!
            object["features"] = .array(Array(whole["features"]!.arrayValue![range]))
            object["labels"] = .array(Array(whole["labels"]!.arrayValue![range]))
            object["classes"] = [0, 1, 2]
            return Data(JSON.object(object).serialized().utf8)
        }
        let parts = [part(0..<100), part(100..<200)]
        let test = part(200..<300)
        var updates: [URL] = []
        for (index, data) in parts.enumerated() {
            let result = try runTool("prty-train", ["--task", Self.nnTask], stdin: data)
            #expect(result.status == 0, "\(result.stderr)")
            let url = dir.appendingPathComponent("update-\(index).json")
            try result.stdout.write(to: url)
            updates.append(url)
        }
        let aggregate = try runTool("prty-train", ["aggregate"] + updates.map(\.path))
        #expect(aggregate.status == 0, "\(aggregate.stderr)")
        let global = try Self.json(aggregate)
        #expect(global["method"] == "fedavg" && global["participant_count"] == 2)
        #expect(global["aggregated_model"] == global["weights"])
        // The same updates as NDJSON on stdin give the same aggregate.
        let stream = try updates.map { try Data(contentsOf: $0) }.reduce(Data(), +)
        #expect(try runTool("prty-train", ["aggregate"], stdin: stream).stdout == aggregate.stdout)
        let globalURL = dir.appendingPathComponent("global.json")
        try aggregate.stdout.write(to: globalURL)

        // Round 2 starts from the global model, given inside the task and as a flag.
        let round2 =
            Self.nnTask.replacingOccurrences(of: #""round_id": "r1""#, with: #""round_id": "r2""#)
            .dropLast() + #", "global_model": \#(aggregate.stdoutText.trimmingCharacters(in: .newlines))}"#
        let inside = try runTool("prty-train", ["--task", String(round2)], stdin: parts[0])
        let flag = try runTool(
            "prty-train",
            [
                "--task", Self.nnTask.replacingOccurrences(of: "r1", with: "r2"),
                "--global-model", globalURL.path,
            ], stdin: parts[0])
        #expect(inside.status == 0 && flag.status == 0, "\(inside.stderr) \(flag.stderr)")
        #expect(Self.timeless(try Self.json(inside)) == Self.timeless(try Self.json(flag)))
        #expect(try Self.json(inside)["metadata"]?["start"] == "global_model")

        let evaluation = try runTool("prty-train", ["evaluate", "--model", globalURL.path], stdin: test)
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let scores = try Self.json(evaluation)
        #expect(scores["samples"] == 100 && scores["metric"] == "accuracy")
        #expect((scores["accuracy"]?.doubleValue ?? 0) > 0.9 && (scores["loss"]?.doubleValue ?? -1) >= 0)

        let prediction = try runTool("prty-train", ["predict", "--model", globalURL.path], stdin: test)
        #expect(prediction.status == 0)
        let lines = prediction.stdoutText.split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines.allSatisfy { $0.hasPrefix("\"class-") })
        let withProbabilities = try runTool(
            "prty-train", ["predict", "--model", updates[0].path, "--probabilities"],
            stdin: test)
        let first = try JSONParser.parse(String(withProbabilities.stdoutText.split(separator: "\n")[0]))
        #expect(first["probabilities"]?.arrayValue?.count == 3)
    }

    @Test func linearRegressionRoundTrip() throws {
        let data = Self.regression(rows: 400)
        let task =
            #"{"model_type": "linear_regression", "train_config": {"epochs": 30, "batch_size": 16, "#
            + #""learning_rate": 0.05}}"#
        let fit = try runTool("prty-train", ["--task", task], stdin: data)
        #expect(fit.status == 0, "\(fit.stderr)")
        let update = try Self.json(fit)
        #expect(update["weights"]?["weights"]?.arrayValue?.count == 20)
        #expect((update["accuracy"]?.doubleValue ?? 0) > 0.999)
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("linear.json")
        try fit.stdout.write(to: model)
        let evaluation = try Self.json(try runTool("prty-train", ["evaluate", "-m", model.path], stdin: data))
        #expect(evaluation["metric"] == "r2" && (evaluation["r2"]?.doubleValue ?? 0) > 0.999)
    }

    @Test(arguments: [
        (#"{"model_config": {"hidden_size": 4}}"#, "model_type is required"),
        (#"{"model_type": "svm"}"#, "unsupported model type: svm"),
        (
            #"{"model_type": "neural_network", "model_config": {}}"#,
            "hidden_size is required in neural network configuration"
        ),
        (
            #"{"model_type": "neural_network", "model_config": {"hidden_size": 4}, "train_config": {"epochs": 3, "#
                + #""batch_size": 4}}"#, "training configuration is incomplete: learning_rate is required"
        ),
        (
            #"{"model_type": "neural_network", "model_config": {"hidden_size": 4}, "train_config": {"epochs": 3, "#
                + #""batch_size": 4, "learning_rate": 5}}"#, "train_config.learning_rate 5 is too high"
        ),
        (
            #"{"model_type": "neural_network", "model_config": {"hidden_size": 4, "dropout": 1}}"#,
            "unknown key 'dropout' in model_config; known keys:"
        ),
        (
            #"{"model_type": "random_forest", "privacy_config": {"differential_privacy": true, "l2_norm_clip": 1, "#
                + #""noise_multiplier": 1}}"#, "differential privacy is not available for random forests"
        ),
        (
            #"{"model_type": "linear_regression", "train_config": {"epochs": 1, "batch_size": 1, "#
                + #""learning_rate": 0.1}, "global_model": {"weights": {"weights": [1]}}}"#,
            "global_model needs 'weights' and 'bias' tensors"
        ),
        ("{not json", "task: malformed JSON at line 1, column 2"),
        (#"{"type": "command", "id": "t", "config": {}}"#, "the task is of type 'command', not federated_learning"),
    ])
    func invalidTaskConfigIsExit64(task: String, message: String) throws {
        let result = try runTool("prty-train", ["--task", task], stdin: Self.blobs(rows: 20))
        expectFailure(result, status: 64, message)
    }

    @Test func invalidFlagsAreExit64() throws {
        expectFailure(try runTool("prty-train", ["--epochs", "0"]), status: 64, "--epochs expects an integer")
        expectFailure(
            try runTool("prty-train", ["--task", Self.nnTask, "--deadline", "soon"]), status: 64,
            "--deadline expects a positive duration")
        expectFailure(try runTool("prty-train", ["evaluate"]), status: 64, "evaluate needs --model FILE")
        expectFailure(
            try runTool("prty-train", ["aggregate"], stdin: Data()), status: 64,
            "aggregate needs at least one model update")
        expectFailure(try runTool("prty-train", ["--task", "/no/such/task.json"]), status: 64, "no task file at")
    }

    @Test func dataThatDoesNotFitIsExit65() throws {
        let empty = Data(#"{"features": [], "labels": []}"#.utf8)
        expectFailure(
            try runTool("prty-train", ["--task", Self.nnTask], stdin: empty), status: 65,
            "the dataset has no rows")
        expectFailure(
            try runTool("prty-train", ["--task", Self.nnTask], stdin: Data("{\"features\": [[1,".utf8)),
            status: 65, "malformed JSON")
        let classification = Self.nnTask.replacingOccurrences(
            of: #""hidden_sizes": [16]"#,
            with: #""hidden_sizes": [16], "task": "classification""#)
        expectFailure(
            try runTool("prty-train", ["--task", classification], stdin: Self.regression(rows: 20)),
            status: 65, "model_config.task is classification but the dataset's labels are continuous")
        let sized = Self.nnTask.replacingOccurrences(
            of: #""hidden_sizes": [16]"#,
            with: #""hidden_sizes": [16], "input_size": 7"#)
        expectFailure(
            try runTool("prty-train", ["--task", sized], stdin: Self.blobs(rows: 20)), status: 65,
            "model_config.input_size is 7 but the dataset has 4 features")
        expectFailure(
            try runTool(
                "prty-train", ["--task", #"{"model_type": "random_forest"}"#],
                stdin: Self.regression(rows: 20)),
            status: 65, "random_forest is a classifier")
    }

    @Test func modelFilesThatAreMissingOrWrong() throws {
        expectFailure(
            try runTool(
                "prty-train", ["evaluate", "--model", "/no/such/model.json"],
                stdin: Self.blobs(rows: 5)), status: 66, "no such file")
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"weights": {"layer_0_weights": [1, 2], "layer_0_bias": [0]}}"#.utf8).write(to: bad)
        expectFailure(
            try runTool("prty-train", ["predict", "--model", bad.path], stdin: Self.blobs(rows: 5)),
            status: 65, "the model in \(bad.path) takes 2 features but the dataset has 4")
        let one = try runTool("prty-train", ["--task", Self.nnTask], stdin: Self.blobs(rows: 40))
        let linearTask =
            #"{"model_type": "linear_regression", "#
            + #""train_config": {"epochs": 1, "batch_size": 4, "learning_rate": 0.1}}"#
        let linear = try runTool("prty-train", ["--task", linearTask], stdin: Self.regression(rows: 20))
        let a = dir.appendingPathComponent("a.json")
        let b = dir.appendingPathComponent("b.json")
        try one.stdout.write(to: a)
        try linear.stdout.write(to: b)
        expectFailure(
            try runTool("prty-train", ["aggregate", a.path, b.path]), status: 65,
            "\(b.path) holds a linear regression but \(a.path) a neural network")
    }

    @Test func divergenceIsExit1AndNamesTheEpoch() throws {
        let task =
            #"{"model_type": "linear_regression", "train_config": {"epochs": 200, "batch_size": 1, "#
            + #""learning_rate": 1}}"#
        let result = try runTool("prty-train", ["--task", task], stdin: Self.regression(rows: 200))
        expectFailure(result, status: 1, "training diverged at epoch ")
        #expect(result.lastErrorLine.contains("lower train_config.learning_rate"))
    }

    @Test func operatorCapsAndBadSettings() throws {
        let result = try runTool(
            "prty-train", ["--task", Self.nnTask], stdin: Self.blobs(rows: 40),
            environment: ["TRAIN_MAX_LAYER_SIZE": "8"])
        expectFailure(result, status: 64, "model_config.hidden_sizes[0] is 16 but this node allows layers of at most 8")
        expectFailure(
            try runTool(
                "prty-train", ["--task", Self.nnTask], stdin: Self.blobs(rows: 40),
                environment: ["TRAIN_MAX_EPOCH_SAMPLES": "500"]),
            status: 64, "train_config.epochs 20 × 32 training rows exceeds")
        expectFailure(
            try runTool(
                "prty-train", ["--task", Self.nnTask], stdin: Self.blobs(rows: 40),
                environment: ["TRAIN_MAX_PARAMETERS": "ten"]),
            status: 78, "TRAIN_MAX_PARAMETERS=\"ten\" is not valid")
    }

    @Test func deadlineIsExit1() throws {
        let long = Self.nnTask.replacingOccurrences(of: #""epochs": 20"#, with: #""epochs": 100000"#)
        let result = try runTool("prty-train", ["--task", long, "--deadline", "300ms"], stdin: Self.blobs(rows: 400))
        expectFailure(result, status: 1, "training did not finish within the deadline of 300ms")
    }

    @Test func sigtermStopsTrainingBetweenBatches() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("data.json")
        try Self.blobs(rows: 2000, width: 20).write(to: input)
        let long = Self.nnTask.replacingOccurrences(of: #""epochs": 20"#, with: #""epochs": 100000"#)
        let process = Process()
        process.executableURL = try Paths.tool("prty-train")
        process.arguments = ["--task", long]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stderr = LockedText()
        errors.fileHandleForReading.readabilityHandler = { handle in
            stderr.append(String(decoding: handle.availableData, as: UTF8.self))
        }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let started = Date()
        while !stderr.text.contains("training neural_network"), process.isRunning,
            Date().timeIntervalSince(started) < 60
        {
            usleep(20_000)  // polling the child's stderr, bounded by the deadline above
        }
        #expect(stderr.text.contains("training neural_network"), "training never started")
        kill(process.processIdentifier, SIGTERM)
        let signalled = Date()
        while process.isRunning, Date().timeIntervalSince(signalled) < 30 { usleep(10_000) }
        #expect(!process.isRunning, "prty-train did not stop after SIGTERM")
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        let rest = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let text = stderr.text + rest
        #expect(process.terminationStatus == 130)
        #expect(output.fileHandleForReading.readDataToEndOfFile().isEmpty)
        #expect(text.split(separator: "\n").last == "prty-train: interrupted by SIGTERM")
        // It stopped between batches, well before the 5 s grace after which Interruption exits on its own.
        #expect(Date().timeIntervalSince(signalled) < 5)
    }

    @Test(arguments: ["fit", "aggregate", "evaluate", "predict"])
    func everySubcommandHasHelp(subcommand: String) throws {
        let result = try runTool("prty-train", [subcommand, "--help"])
        #expect(result.status == 0)
        #expect(result.stdoutText.hasPrefix("prty-train \(subcommand) — "))
        #expect(result.stdoutText.contains("Examples:"))
    }
}

/// Text appended from a pipe's reader thread and read by the test: one lock guards it.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func append(_ chunk: String) { lock.withLock { value += chunk } }
    var text: String { lock.withLock { value } }
}
