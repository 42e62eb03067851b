import Shared

/// `prty-train evaluate --model FILE < dataset`: the model's loss and accuracy (R² for regression) on a
/// labelled dataset, e.g. the held-out test part.
struct Evaluate {
    static let command = Command(
        "evaluate", summary: "score a model update or aggregate on the labelled dataset on stdin",
        options: [
            Option(
                "model", short: "m", value: .single("FILE"), help: "the model update or aggregate to score",
                completion: .file),
            Option(
                "voting", value: .single("prior_corrected|soft"),
                help: "forests: combine participants' forests by prior-corrected posteriors (default) or soft voting",
                completion: .choices(RandomForest.Voting.allCases.map(\.rawValue))),
        ],
        examples: ["prty-partition --task task.json --take test | prty-train evaluate --model global.json"],
        discussion: """
            Prints {"samples": n, "metric": "accuracy", "accuracy": x, "loss": y} for a classifier (loss is \
            the mean cross-entropy) or {"samples", "metric": "r2", "r2", "loss"} for regression (loss is the \
            mean squared error).
            """)

    let modelPath: String
    let voting: RandomForest.Voting?

    init(_ invocation: Invocation) throws {
        guard let path = invocation.arguments.value("model") else {
            throw UsageError("evaluate needs --model FILE (a model update or an aggregate)")
        }
        modelPath = path
        voting = try Self.voting(invocation.arguments)
    }

    func run() throws {
        let document = try ModelDocument.load(path: modelPath)
        let dataset = try DatasetReader.read(try Input.standardInput(what: "a dataset"))
        Tool.writeStdout(
            try Self.evaluate(document, on: dataset, source: modelPath, voting: voting).serialized() + "\n")
    }

    static func evaluate(
        _ document: ModelDocument, on dataset: Dataset, source: String, voting: RandomForest.Voting? = nil
    )
        throws -> JSON
    {
        guard dataset.count > 0 else { throw TrainError.data("the dataset has no rows: there is nothing to evaluate") }
        try Fit.checkData(dataset)
        var model = try LoadedModel(document, dataset: dataset, source: source)
        model.overrideVoting(voting)
        let metrics = try model.evaluate(dataset)
        let metric = model.task == .classification ? "accuracy" : "r2"
        var result: [String: JSON] = [
            "samples": .int(dataset.count), "metric": .string(metric),
            "loss": .double(metrics.loss),
        ]
        result[metric] = .double(metrics.accuracy)
        try FiniteCheck.json(.object(result), what: "evaluate's result", hint: LoadedModel.nonFiniteHint)
        return .object(result)
    }

    /// `--voting`, checked.
    static func voting(_ arguments: Arguments) throws -> RandomForest.Voting? {
        guard let text = arguments.value("voting") else { return nil }
        guard let voting = RandomForest.Voting(rawValue: text) else {
            throw UsageError(
                "--voting expects \(RandomForest.Voting.allCases.map(\.rawValue).joined(separator: " or ")), "
                    + "got '\(text)'")
        }
        return voting
    }
}
