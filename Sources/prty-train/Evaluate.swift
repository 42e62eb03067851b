import Shared

/// `prty-train evaluate --model FILE < dataset`: the model's loss and accuracy (R² for regression) on a
/// labelled dataset, e.g. the held-out test part.
struct Evaluate {
    static let command = Command(
        "evaluate", summary: "score a model update or aggregate on the labelled dataset on stdin",
        options: ModelArguments.options(purpose: "to score"),
        examples: ["prty-partition --task task.json --take test | prty-train evaluate --model global.json"],
        discussion: """
            Prints {"samples": n, "metric": "accuracy", "accuracy": x, "loss": y} for a classifier (loss is \
            the mean cross-entropy) or {"samples", "metric": "r2", "r2", "loss"} for regression (loss is the \
            mean squared error).
            """)

    let model: ModelArguments

    init(_ invocation: Invocation) throws {
        model = try ModelArguments(invocation.arguments, command: "evaluate")
    }

    func run() throws {
        let (document, dataset) = try model.load()
        let result = try Self.evaluate(document, on: dataset, source: model.modelPath, voting: model.voting)
        Tool.writeStdout(result.serialized() + "\n")
    }

    static func evaluate(
        _ document: ModelDocument, on dataset: Dataset, source: String, voting: RandomForest.Voting? = nil
    )
        throws -> JSON
    {
        let model = try ModelArguments.model(document, for: dataset, source: source, voting: voting, verb: "evaluate")
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
}
