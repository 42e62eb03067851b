import Shared

/// What `evaluate` and `predict` share: `--model FILE` and `--voting`, declared once, read and checked once,
/// and the model and the dataset on stdin loaded the same way.
struct ModelArguments {
    /// `--model` (its help line ends with `purpose`, e.g. "to score") and `--voting`.
    static func options(purpose: String) -> [Option] {
        [
            Option(
                "model", short: "m", value: .single("FILE"), help: "the model update or aggregate \(purpose)",
                completion: .file),
            Option(
                "voting", value: .single("prior_corrected|soft"),
                help: "forests: combine participants' forests by prior-corrected posteriors (default) or soft voting",
                completion: .choices(RandomForest.Voting.allCases.map(\.rawValue))),
        ]
    }

    let modelPath: String
    let voting: RandomForest.Voting?

    /// `command` names the subcommand in the message when `--model` is missing.
    init(_ arguments: Arguments, command: String) throws {
        guard let path = arguments.value("model") else {
            throw UsageError("\(command) needs --model FILE (a model update or an aggregate)")
        }
        modelPath = path
        guard let text = arguments.value("voting") else {
            voting = nil
            return
        }
        guard let voting = RandomForest.Voting(rawValue: text) else {
            throw UsageError(
                "--voting expects \(RandomForest.Voting.allCases.map(\.rawValue).joined(separator: " or ")), "
                    + "got '\(text)'")
        }
        self.voting = voting
    }

    /// The model document, then the dataset on stdin.
    func load() throws -> (document: ModelDocument, dataset: Dataset) {
        let document = try ModelDocument.load(path: modelPath)
        return (document, try DatasetReader.read(try Input.standardInput(what: "a dataset")))
    }

    /// `document` ready to apply to `dataset`: the rows checked (`verb` says what there would be nothing to do,
    /// e.g. "evaluate"), the model loaded and `voting` applied when given.
    static func model(
        _ document: ModelDocument, for dataset: Dataset, source: String, voting: RandomForest.Voting?, verb: String
    ) throws -> LoadedModel {
        guard dataset.count > 0 else { throw TrainError.data("the dataset has no rows: there is nothing to \(verb)") }
        try Fit.checkData(dataset)
        var model = try LoadedModel(document, dataset: dataset, source: source)
        model.overrideVoting(voting)
        return model
    }
}
