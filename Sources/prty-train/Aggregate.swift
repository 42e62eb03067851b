import Shared

/// `prty-train aggregate UPDATE…` (or NDJSON on stdin): combines model updates the way the server does, into
/// the server's AggregationResult shape, so a whole round runs in a shell pipe and the result can be the next
/// round's `global_model`. Neural networks and linear models: FedAvg, element-wise means weighted by
/// `data_size`. Forests: the union of the trees, importance weighted by `data_size`.
struct Aggregate {
    static let command = Command(
        "aggregate", summary: "combine model updates (FedAvg, or the union of forests) into a global model",
        arguments: "[UPDATE...]", maxPositionals: nil,
        examples: [
            "prty-train aggregate part-0.json part-1.json part-2.json > global.json",
            "cat part-*.json | prty-train aggregate > global.json",
        ],
        discussion: """
            Reads model updates (or aggregates, whose metadata.data_size weighs them) from the files given, \
            else one per line from stdin. Writes {method, aggregated_model, weights, gradients, global_metrics, \
            participant_count, metadata}: global_metrics has the server's average_loss, average_accuracy \
            (weighted by data_size), variance (of the losses, n − 1) and convergence. All updates must hold the \
            same model type, tensor names and lengths, and classes.
            """)

    let paths: [String]

    init(_ invocation: Invocation) throws {
        paths = invocation.arguments.positionals
    }

    func run() throws {
        var inputs: [(document: ModelDocument, source: String)] = []
        if paths.isEmpty {
            inputs = try Self.readStream(try Input.standardInput(what: "model updates (one JSON object per line)"))
        } else {
            for path in paths { inputs.append((try ModelDocument.load(path: path), path)) }
        }
        let members = try Self.members(inputs)
        try FiniteCheck.members(members, document: "the aggregate")
        Tool.writeStdout(DocumentWriter.bytes(members))
    }

    /// NDJSON (one update per line); a single pretty-printed document is accepted too.
    static func readStream(_ bytes: [UInt8]) throws -> [(document: ModelDocument, source: String)] {
        var result: [(ModelDocument, String)] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            let source = "stdin line \(lineNumber)"
            let json: JSON
            do { json = try JSONParser.parse(Array(line)) } catch {
                if result.isEmpty, let whole = try? JSONParser.parse(bytes) {
                    return [(try ModelDocument(whole, source: "stdin", role: .input), "stdin")]
                }
                throw TrainError.data("\(source): \(error.message)")
            }
            result.append((try ModelDocument(json, source: source, role: .input), source))
        }
        return result
    }

    /// The aggregate as a `JSON` value (tests, and reading it back as a global model).
    static func aggregate(_ inputs: [(document: ModelDocument, source: String)]) throws -> JSON {
        .object(
            try members(inputs).mapValues { member in
                switch member {
                case .json(let value): value
                case .tensors(let map): ModelUpdate.tensors(map)
                }
            })
    }

    /// The aggregate's members, tensors still as numbers for `DocumentWriter`.
    static func members(_ inputs: [(document: ModelDocument, source: String)]) throws
        -> [String: DocumentWriter.Member]
    {
        guard let (first, firstSource) = inputs.first else {
            throw UsageError("aggregate needs at least one model update: give files, or NDJSON on stdin")
        }
        guard let type = first.modelType else {
            throw TrainError.data("\(firstSource) does not say which model it holds (metadata.model_type)")
        }
        var sizes: [Int] = []
        for (document, source) in inputs {
            guard let other = document.modelType, other == type else {
                throw TrainError.data(
                    "\(source) holds \(document.modelType?.phrase ?? "an unknown model") but "
                        + "\(firstSource) \(type.phrase); aggregate one model type at a time")
            }
            guard let size = document.dataSize else {
                throw TrainError.data("\(source) has no data_size to weigh it by")
            }
            if let classes = document.classes, let expected = first.classes, classes != expected {
                throw TrainError.data(
                    "\(source) was trained on classes \(JSON.doubles(classes).serialized()) but "
                        + "\(firstSource) on \(JSON.doubles(expected).serialized())")
            }
            if let architecture = document.metadata["architecture"], let expected = first.metadata["architecture"],
                architecture != expected
            {
                throw TrainError.data(
                    "\(source) has architecture \(architecture.serialized()) but \(firstSource) "
                        + "\(expected.serialized())")
            }
            sizes.append(size)
        }
        let total = sizes.reduce(0, +)
        guard total > 0 else {
            throw TrainError.data("every update has data_size 0: there is nothing to weigh them by")
        }

        let method: String
        let weights: [String: [Double]]
        let gradients: [String: [Double]]
        var metadata: [String: JSON] = [:]
        for key in [
            "format", "model_type", "task", "metric", "classes", "label_names", "feature_count",
            "feature_names", "architecture",
        ] {
            if let value = first.metadata[key] { metadata[key] = value }
        }
        metadata["format"] = .string(ModelUpdate.format)
        metadata["model_type"] = .string(type.rawValue)
        metadata["data_size"] = .int(total)
        metadata["data_sizes"] = .ints(sizes)

        if type == .randomForest {
            var forests: [RandomForest] = []
            for (document, source) in inputs {
                guard let forestMetadata = document.metadata["forest"] else {
                    throw TrainError.data("\(source) holds a random forest but no metadata.forest to take trees from")
                }
                forests.append(try RandomForest(metadata: forestMetadata))
            }
            try RandomForest.checkUnion(forests)
            let union = RandomForest.union(forests, dataSizes: sizes)
            method = "union"
            weights = union.weights()
            gradients = ["feature_importance": union.featureImportance]
            metadata["forest"] = union.metadata()
            metadata["feature_importance"] = .doubles(union.featureImportance)
        } else {
            method = "fedavg"
            weights = try fedAvg(inputs.map { ($0.document.weights, $0.source) }, sizes: sizes, what: "weights")
            let withGradients = inputs.filter { $0.document.gradients != nil }
            if withGradients.isEmpty {
                gradients = [:]
            } else if withGradients.count == inputs.count {
                gradients = try fedAvg(
                    inputs.map { ($0.document.gradients!, $0.source) }, sizes: sizes,
                    what: "gradients")
            } else {
                throw TrainError.data(
                    "\(withGradients.count) of \(inputs.count) updates carry gradients; "
                        + "aggregate updates of one kind")
            }
        }

        return [
            "method": .json(.string(method)),
            "aggregated_model": .tensors(weights),
            "weights": .tensors(weights),
            "gradients": .tensors(gradients),
            "global_metrics": .json(globalMetrics(inputs.map(\.document), sizes: sizes)),
            "participant_count": .json(.int(inputs.map(\.document.participantCount).reduce(0, +))),
            "metadata": .json(.object(metadata)),
        ]
    }

    /// Σ data_size·x / Σ data_size, element by element, summed in input order. Every update must have the
    /// first one's tensor names and lengths (the server would silently drop extra elements; this refuses).
    static func fedAvg(_ maps: [([String: [Double]], String)], sizes: [Int], what: String) throws
        -> [String: [Double]]
    {
        let (reference, referenceSource) = maps[0]
        let total = Double(sizes.reduce(0, +))
        var result: [String: [Double]] = [:]
        for name in reference.keys.sorted() {
            var sum = [Double](repeating: 0, count: reference[name]!.count)
            for ((map, source), size) in zip(maps, sizes) {
                guard let values = map[name] else {
                    throw TrainError.data("\(source) \(what) have no '\(name)' tensor, which \(referenceSource) has")
                }
                guard values.count == sum.count else {
                    throw TrainError.data(
                        "\(source) \(what) '\(name)' has \(values.count) values but "
                            + "\(referenceSource) has \(sum.count)")
                }
                let weight = Double(size)
                for index in sum.indices { sum[index] += weight * values[index] }
            }
            result[name] = sum.map { $0 / total }
        }
        for (map, source) in maps {
            if let extra = map.keys.sorted().first(where: { reference[$0] == nil }) {
                throw TrainError.data("\(source) \(what) have a tensor '\(extra)' that \(referenceSource) lacks")
            }
        }
        return result
    }

    /// The server's round metrics: data_size-weighted mean loss and accuracy, the sample variance (n − 1) of
    /// the losses, and convergence = 1 when they agree, else max(0, 1 − variance / mean loss).
    static func globalMetrics(_ documents: [ModelDocument], sizes: [Int]) -> JSON {
        let total = Double(sizes.reduce(0, +))
        var loss = 0.0
        var accuracy = 0.0
        for (document, size) in zip(documents, sizes) {
            loss += Double(size) * (document.loss ?? 0)
            accuracy += Double(size) * (document.accuracy ?? 0)
        }
        loss /= total
        accuracy /= total
        let losses = documents.map { $0.loss ?? 0 }
        var variance = 0.0
        if losses.count > 1 {
            let mean = losses.reduce(0, +) / Double(losses.count)
            variance = losses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(losses.count - 1)
        }
        let convergence = variance == 0 ? 1 : (loss > 0 ? max(0, 1 - variance / loss) : 0)
        return [
            "average_loss": .double(loss), "average_accuracy": .double(accuracy), "variance": .double(variance),
            "convergence": .double(convergence),
        ]
    }
}
