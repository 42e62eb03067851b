import Shared

/// `prty-fetch parse [FILE|-]`: a local CSV or JSON file turned into a Dataset document by the same rules as
/// `get`, for data that is not on IPFS (or to check a file before publishing it).
struct Parse {
    static let command = Command(
        "parse", summary: "turn a local CSV or JSON file (or stdin) into a Dataset document",
        arguments: "[FILE|-]", maxPositionals: 1, options: DatasetBuilder.commandOptions,
        examples: [
            "prty-fetch parse iris.csv --label-column species",
            "cat data.json | prty-fetch parse --regression",
        ],
        discussion: "The document's source is {\"format\": …} only: a local file has no CID.")

    let path: String
    let builder: DatasetBuilder
    let format: DatasetBuilder.Format

    init(_ arguments: Arguments) throws {
        path = arguments.positionals.first ?? "-"
        builder = try DatasetBuilder(arguments: arguments)
        format = DatasetBuilder.format(arguments)
    }

    func run(log: Log) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let file = try MappedFile(path: path, what: "a CSV or JSON dataset")
        let dataset = try file.withBytes { try builder.build($0, format: format, cid: nil) }
        let parsed = clock.now
        DatasetWriter.writeStdout(dataset)  // streamed in chunks: the document is never whole in memory
        let written = clock.now
        if log.format == .json {  // for benchmarks and operators; people get no extra line
            func seconds(_ duration: Duration) -> JSON {
                .double(Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
            }
            log.info(
                "timing", "parsed \(dataset.count) rows and wrote the Dataset",
                ["rows": .int(dataset.count), "parse_s": seconds(parsed - start), "write_s": seconds(written - parsed)])
        }
    }
}
