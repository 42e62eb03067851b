import Shared

/// `prty-train predict --model FILE < dataset`: one prediction per row, as NDJSON (a JSON value per line):
/// the label's name when the dataset's labels were strings, else its value.
struct Predict {
    static let command = Command(
        "predict", summary: "predict one value per row of the dataset on stdin",
        options: ModelArguments.options(purpose: "to apply") + [
            Option("probabilities", help: "classifiers: print {\"label\", \"probabilities\"} per row"),
        ],
        examples: ["prty-train predict --model global.json < new-rows.json"],
        discussion: """
            Labels are ignored, so the dataset may carry placeholders. Each line is the predicted label \
            (mapped through label_names when present), or with --probabilities an object with the label and \
            the probability of every class in the order of the model's classes.
            """)

    let model: ModelArguments
    let withProbabilities: Bool

    init(_ invocation: Invocation) throws {
        model = try ModelArguments(invocation.arguments, command: "predict")
        withProbabilities = invocation.arguments.flag("probabilities")
    }

    func run() throws {
        let (document, dataset) = try model.load()
        Tool.writeStdout(
            try Self.predict(
                document, on: dataset, source: model.modelPath, probabilities: withProbabilities, voting: model.voting))
    }

    static func predict(
        _ document: ModelDocument, on dataset: Dataset, source: String, probabilities: Bool,
        voting: RandomForest.Voting? = nil
    ) throws -> [UInt8] {
        let model = try ModelArguments.model(document, for: dataset, source: source, voting: voting, verb: "predict")
        if probabilities, model.task != .classification {
            throw UsageError("--probabilities needs a classifier; this model does regression")
        }
        let (values, chances) = model.predictions(dataset)
        try FiniteCheck.values(values, what: "the prediction of row", hint: LoadedModel.nonFiniteHint)
        if let chances { try FiniteCheck.values(chances, what: "the class probability (row × class)", hint: LoadedModel.nonFiniteHint) }
        var out = [UInt8]()
        out.reserveCapacity(values.count * 8)
        let k = model.classes.count
        for (row, value) in values.enumerated() {
            if probabilities, let chances {
                let classProbabilities = JSON.doubles(Array(chances[row * k..<(row + 1) * k]))
                let line: JSON = ["label": model.label(value), "probabilities": classProbabilities]
                line.write(to: &out)
            } else {
                model.label(value).write(to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
