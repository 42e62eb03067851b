import Shared

extension DatasetBuilder {
    /// The options that shape a Dataset, shared by `get` and `parse`.
    static let commandOptions: [Option] = [
        Option(
            "format", value: .single("csv|json|auto"),
            help: "how to read the content (default auto: JSON if it starts with { or [, else CSV)",
            completion: .choices(["csv", "json", "auto"])),
        Option("header", help: "the CSV's first row is a header"),
        Option(
            "no-header",
            help: "the CSV's first row is data (default: a header when one of its feature cells is text)"),
        Option(
            "label-column", value: .single("NAME|INDEX"),
            help: "the column holding the labels, by header name or 0-based index (default: the last)"),
        Option(
            "missing", value: .single("error|drop|mean"),
            help: "missing cells: fail naming line and column (default), drop the row, or use the column mean",
            completion: .choices(["error", "drop", "mean"])),
        Option("regression", help: "numeric labels are a regression target even when they are all integers"),
    ]

    static let optionNames = Set(commandOptions.map(\.long))

    /// Reads the dataset options from a parsed command line.
    init(arguments: Arguments) throws(UsageError) {
        var options = Options()
        if arguments.flag("header") && arguments.flag("no-header") {
            throw UsageError("--header and --no-header contradict each other; give one")
        }
        if arguments.flag("header") { options.header = true }
        if arguments.flag("no-header") { options.header = false }
        if let text = arguments.value("label-column") {
            guard !text.isEmpty else { throw UsageError("--label-column needs a column name or a 0-based index") }
            options.labelColumn = LabelColumn(text)
        }
        options.missing = arguments.value("missing").flatMap(Missing.init(rawValue:)) ?? .error
        options.regression = arguments.flag("regression")
        self.init(options: options)
    }

    static func format(_ arguments: Arguments) -> Format {
        arguments.value("format").flatMap(Format.init(rawValue:)) ?? .auto
    }
}
