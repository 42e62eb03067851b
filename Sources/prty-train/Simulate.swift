import Foundation
import Shared

/// `prty-train simulate --task t.json --participants N --rounds R < dataset`: the whole federated loop in one
/// process, to see what federation costs before joining a network. The dataset is partitioned with
/// prty-partition's plan (Shared's `PartitionPlan`, the same rows every participant would take), each participant
/// fits with `Fit`, the updates are combined with `Aggregate` (FedAvg, or the union of forests), the global model
/// is scored with `Evaluate` on the held-out split, and the next round starts from it as `global_model`. Next to
/// it, the same model trained centrally on the union of the participants' rows (continuing from its own previous
/// round), scored on the same held-out rows.
struct Simulate {
    static let command = Command(
        "simulate", summary: "run a whole federated session locally and compare it with central training",
        options: [
            Fit.taskOption(help: "the FL task (model_type, model_config, train_config, partition_config)"),
            Option("participants", value: .single("N"), help: "how many participants (default: total_parts, else 3)"),
            Option("rounds", value: .single("R"), help: "how many rounds (default 1; a forest trains in one)"),
            Option(
                "holdout", value: .single("FRACTION"),
                help: "the held-out test share (default: partition_config.holdout, else 0.2)"),
            Option(
                "strategy", value: .single("NAME"), help: "override partition_config.strategy",
                completion: .choices(Strategy.names)),
            Option("alpha", value: .single("A"), help: "override partition_config.alpha (non_iid)"),
            Option("seed", value: .single("N"), help: "override the session seed"),
        ],
        examples: [
            "prty-train simulate --task task.json --participants 3 --rounds 3 < dataset.json",
            "prty-train simulate --task forest.json --strategy non_iid --alpha 0.5 < dataset.json > report.json",
        ],
        discussion: """
            Writes one JSON document: the configuration used and, for every round, the global model's held-out \
            accuracy (R² for regression) and loss, each participant's rows and own metrics, and the central \
            model's figures on the same held-out rows. People's lines on stderr say the same per round. Without \
            a partition_config the parts are non_iid with alpha 0.5, as in the seed's default (random for \
            regression labels).
            """)

    let task: TaskConfig
    let participants: Int
    let rounds: Int
    let partition: PartitionConfig
    /// Whether the strategy is the default non_iid (which becomes random for regression labels).
    var defaultStrategy = false
    let caps: TrainCaps
    let log: Log

    init(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let task = try Fit.task(arguments)
        var partitionValues = task.values["partition_config"]?.objectValue ?? [:]
        defaultStrategy = partitionValues["strategy"] == nil && arguments.value("strategy") == nil
        if partitionValues["strategy"] == nil {
            partitionValues["strategy"] = "non_iid"
            if partitionValues["alpha"] == nil { partitionValues["alpha"] = .double(0.5) }
        }
        let declaredParts = partitionValues["total_parts"]?.intValue
        participants = try arguments.int("participants", in: 1...1000) ?? declaredParts ?? 3
        rounds = try arguments.int("rounds", in: 1...1000) ?? 1
        partitionValues["total_parts"] = .int(participants)
        partitionValues["part_index"] = 0
        var values = task.values
        values["partition_config"] = .object(partitionValues)
        self.task = try TaskConfig(values)
        var partition = try PartitionConfig(task: self.task, arguments: arguments)
        if partition.holdout == 0 { partition.holdout = 0.2 }
        if let fraction = try arguments.double("holdout", in: 0...0.9) {
            guard fraction > 0 else { throw UsageError("--holdout must be above 0: the global model needs test rows") }
            partition.holdout = fraction
        }
        partition.take = .train
        try partition.validate()
        self.partition = partition
        caps = try TrainCaps(arguments: arguments, log: invocation.log)
        _ = try TrainConfig(self.task, caps: caps)  // every config problem before the data is read
        log = invocation.log
    }

    /// For callers that build the session in code (tests): `partition` as given (its holdout above 0).
    init(task: TaskConfig, participants: Int, rounds: Int, partition: PartitionConfig, caps: TrainCaps, log: Log) {
        self.task = task
        self.participants = participants
        self.rounds = rounds
        var partition = partition
        partition.totalParts = participants
        self.partition = partition
        self.caps = caps
        self.log = log
    }

    func run() throws {
        let dataset = try DatasetReader.read(try Input.standardInput(what: "a dataset"))
        let report = try simulate(dataset)
        Tool.writeStdout(report.serialized() + "\n")
    }

    /// The whole session on `dataset`; pure apart from timing and differential-privacy noise.
    func simulate(_ dataset: Dataset) throws -> JSON {
        try Fit.checkData(dataset)
        var partition = partition
        if defaultStrategy, dataset.task == .regression {
            partition.strategy = .random  // non_iid splits by class; regression labels have none
        }
        let plan: PartitionPlan
        do { plan = try PartitionPlan(dataset, config: partition) } catch { throw TrainError.data(error.description) }
        let test = dataset.subset(plan.test)
        let partRows = (0..<participants).map { plan.part($0) }
        // Each part carries its partition object, as prty-partition writes it (every part's class counts).
        let partitionObject = plan.partitionObject().objectValue ?? [:]
        let parts = partRows.enumerated().map { index, rows in
            var part = dataset.subset(rows)
            var object = partitionObject
            object["part_index"] = .int(index)
            part.partition = .object(object)
            return part
        }
        let pooled = dataset.subset(partRows.flatMap { $0 })  // exactly the participants' rows, together
        let quiet = Log(tool: log.tool, format: log.format, minimum: .warning)
        let modelType = try TrainConfig(task, caps: caps).modelType
        let roundCount = modelType == .randomForest ? 1 : rounds
        if roundCount < rounds {
            log.info(
                "forest_one_round",
                "a random forest does not start from a global model, so one round is the whole session")
        }
        log.info(
            "simulate",
            "\(participants) participants (\(partition.strategy.rawValue)), sizes "
                + "\(parts.map { String($0.count) }.joined(separator: ", ")); \(test.count) held-out rows; "
                + "\(roundCount) round\(roundCount == 1 ? "" : "s") of \(modelType.rawValue)")

        var global: JSON?
        var central: JSON?
        var roundReports = [JSON]()
        for round in 1...roundCount {
            let roundID = "simulate-round-\(round)"
            let config = try roundConfig(roundID, globalModel: global)
            var inputs = [(document: ModelDocument, source: String)]()
            var participantReports = [JSON]()
            for (index, part) in parts.enumerated() where part.count > 0 {
                let update = try Fit(config: config, log: quiet).fit(part)
                let source = "participant \(index) round \(round)"
                inputs.append((try ModelDocument(update.json, source: source, role: .input), source))
                participantReports.append([
                    "participant": .int(index), "rows": .int(part.count), "data_size": .int(update.dataSize),
                    "accuracy": .double(update.accuracy), "loss": .double(update.loss),
                ])
            }
            let aggregate = try Aggregate.aggregate(inputs)
            let document = try ModelDocument(aggregate, source: "aggregate", role: .input)
            let federated = try Evaluate.evaluate(document, on: test, source: "aggregate")
            // Forests: plain soft voting of the same trees too, to show what the prior correction adds.
            var soft: JSON?
            if modelType == .randomForest {
                soft = try Evaluate.evaluate(document, on: test, source: "aggregate", voting: .soft)
            }
            global = aggregate

            let centralConfig = try roundConfig(roundID, globalModel: central)
            let centralUpdate = try Fit(config: centralConfig, log: quiet).fit(pooled)
            central = centralUpdate.json
            let centralScore = try Evaluate.evaluate(
                try ModelDocument(centralUpdate.json, source: "central", role: .input), on: test, source: "central")

            let metric = federated["metric"]?.stringValue ?? "accuracy"
            let fedValue = federated[metric]?.doubleValue ?? 0
            let centralValue = centralScore[metric]?.doubleValue ?? 0
            log.info(
                "round",
                "round \(round): federated \(metric) \(Fit.round(fedValue)), central \(Fit.round(centralValue)) "
                    + "(gap \(Fit.round(centralValue - fedValue)))",
                ["round": .int(round), "federated": .double(fedValue), "central": .double(centralValue)])
            var roundReport: [String: JSON] = [
                "round": .int(round), "federated": federated, "central": centralScore,
                "participants": .array(participantReports),
            ]
            if let soft { roundReport["federated_soft_voting"] = soft }
            roundReports.append(.object(roundReport))
        }
        return [
            "format": "prty.simulation/1",
            "model_type": .string(modelType.rawValue),
            "participants": .int(participants),
            "partition": plan.partitionObject(),
            "test_samples": .int(test.count),
            "train_samples": .int(pooled.count),
            "rounds": .array(roundReports),
        ]
    }

    /// The task for one round: its round id (which seeds the shuffling) and the global model to start from.
    private func roundConfig(_ roundID: String, globalModel: JSON?) throws -> TrainConfig {
        var values = task.values
        values["round_id"] = .string(roundID)
        if values["session_id"]?.stringValue == nil { values["session_id"] = "simulate" }
        values["global_model"] = globalModel
        values["partition_config"] = nil
        return try TrainConfig(try TaskConfig(values), caps: caps)
    }
}
