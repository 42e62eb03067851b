import Shared

/// `prty-train predict --model FILE < dataset`: one prediction per row, as NDJSON (a JSON value per line):
/// the label's name when the dataset's labels were strings, else its value.
struct Predict {
    static let command = Command(
        "predict", summary: "predict one value per row of the dataset on stdin",
        options: [
            Option(
                "model", short: "m", value: .single("FILE"), help: "the model update or aggregate to apply",
                completion: .file),
            Option(
                "voting", value: .single("prior_corrected|soft"),
                help: "forests: combine participants' forests by prior-corrected posteriors (default) or soft voting",
                completion: .choices(RandomForest.Voting.allCases.map(\.rawValue))),
            Option("probabilities", help: "classifiers: print {\"label\", \"probabilities\"} per row"),
        ],
        examples: ["prty-train predict --model global.json < new-rows.json"],
        discussion: """
            Labels are ignored, so the dataset may carry placeholders. Each line is the predicted label \
            (mapped through label_names when present), or with --probabilities an object with the label and \
            the probability of every class in the order of the model's classes.
            """)

    let modelPath: String
    let voting: RandomForest.Voting?
    let withProbabilities: Bool

    init(_ invocation: Invocation) throws {
        guard let path = invocation.arguments.value("model") else {
            throw UsageError("predict needs --model FILE (a model update or an aggregate)")
        }
        modelPath = path
        voting = try Evaluate.voting(invocation.arguments)
        withProbabilities = invocation.arguments.flag("probabilities")
    }

    func run() throws {
        let document = try ModelDocument.load(path: modelPath)
        let dataset = try DatasetReader.read(try Input.standardInput(what: "a dataset"))
        Tool.writeStdout(
            try Self.predict(document, on: dataset, source: modelPath, probabilities: withProbabilities, voting: voting)
        )
    }

    static func predict(
        _ document: ModelDocument, on dataset: Dataset, source: String, probabilities: Bool,
        voting: RandomForest.Voting? = nil
    ) throws -> [UInt8] {
        guard dataset.count > 0 else { throw TrainError.data("the dataset has no rows: there is nothing to predict") }
        try Fit.checkData(dataset)
        var model = try LoadedModel(document, dataset: dataset, source: source)
        model.overrideVoting(voting)
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
