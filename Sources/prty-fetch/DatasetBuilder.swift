import Foundation
import Shared

/// Turns fetched content (CSV or JSON) into a Dataset document, by the rules of docs/formats.md §2.1:
/// - the first CSV row is a header when one of its feature cells is text (not a number, not empty), unless
///   `--header`/`--no-header` says otherwise; `--label-column NAME` implies a header;
/// - the label column is the last one unless `--label-column NAME|INDEX` (0-based; negative counts from the end)
///   names another; string labels become 0..K-1 in Unicode code-point order, kept in `label_names`;
/// - numeric labels that are all integers mean classification unless `--regression`; otherwise regression;
/// - a missing feature cell (empty, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `?`) fails naming line and column
///   (`--missing error`, the default), drops its row (`drop`) or takes its column's mean (`mean`);
/// - every row has the same width, every feature value is a finite number, and at least one row remains.
struct DatasetBuilder {
    enum Format: String, Sendable { case csv, json, auto }
    enum Missing: String, Sendable { case error, drop, mean }
    enum LabelColumn: Sendable, Equatable {
        case last
        case index(Int)
        case name(String)

        init(_ text: String) {
            if let index = Int(text) { self = .index(index) } else { self = .name(text) }
        }
    }

    struct Options: Sendable {
        var header: Bool? = nil
        var labelColumn: LabelColumn = .last
        var missing: Missing = .error
        var regression = false
        /// Whether `--label-column` was given (JSON objects refuse it).
        var labelColumnGiven: Bool { labelColumn != .last }
    }

    let options: Options

    /// The Dataset for `content`; `cid` goes into `source` (nil for a local file).
    func build(_ content: UnsafeRawBufferPointer, format: Format, cid: String?) throws(FetchError) -> Dataset {
        let chosen = format == .auto ? Self.detect(content) : format
        var dataset = chosen == .json ? try json(content) : try csv(content)
        var source: [String: JSON] = ["format": .string(chosen.rawValue)]
        if let cid { source["cid"] = .string(cid) }
        dataset.source = .object(source)
        return dataset
    }

    func build(_ content: [UInt8], format: Format, cid: String?) throws(FetchError) -> Dataset {
        let result = content.withUnsafeBytes { bytes in
            Result { () throws(FetchError) in try build(bytes, format: format, cid: cid) }
        }
        return try result.get()
    }

    /// JSON when the first non-blank byte is `{` or `[`, CSV otherwise.
    static func detect(_ content: UnsafeRawBufferPointer) -> Format {
        let first = firstByte(content)
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? .json : .csv
    }

    /// The first byte after a byte-order mark and blanks, if any.
    static func firstByte(_ content: UnsafeRawBufferPointer) -> UInt8? {
        var index = content.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < content.count, [0x20, 0x09, 0x0A, 0x0D].contains(content[index]) { index += 1 }
        return index < content.count ? content[index] : nil
    }

    static let missingMarkers: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]

    // MARK: - CSV

    /// What one range of lines parsed into.
    private struct Chunk {
        var features: [Double] = []
        /// Indices into `features` of missing cells (`--missing drop|mean`).
        var missing: [Int] = []
        var labelNumbers: [Double] = []
        /// Label cells as fields (for string labels).
        var labelFields: [CSV.Field] = []
        var labelsNumeric = true
        /// Rows whose label is missing, and the line of the first.
        var missingLabels: [Int] = []
        var firstMissingLabelLine = 0
        var rows = 0
        var error: FetchError? = nil
    }

    private struct Layout {
        let columns: Int
        let label: Int
        let names: [String]?

        func describe(_ column: Int) -> String {
            if let names { return "column \(column + 1) ('\(names[column])')" }
            return "column \(column + 1)"
        }
    }

    private func csv(_ buffer: UnsafeRawBufferPointer) throws(FetchError) -> Dataset {
        let csv = CSV(buffer)
        var fields = [CSV.Field]()
        var (position, line) = csv.skipBlank(csv.bodyStart, end: csv.count)
        line += 1
        guard position < csv.count else { throw .badData("the CSV is empty: it needs at least one data row") }
        let (afterFirst, firstLines): (Int, Int)
        do {
            (afterFirst, firstLines) = try csv.record(at: position, end: csv.count, into: &fields, line: line)
        } catch {
            throw Self.quoteError(error)
        }
        let columns = fields.count
        let texts = fields.map { csv.text($0) }
        guard columns >= 2 else {
            throw .badData("the CSV has \(columns) column; it needs at least one feature column and a label column")
        }
        let label: Int
        var header = options.header
        switch options.labelColumn {
        case .last:
            label = columns - 1
        case .index(let given):
            label = given < 0 ? columns + given : given
            guard label >= 0 && label < columns else {
                throw .usage(
                    "--label-column \(given) is outside the CSV's \(columns) columns (0…\(columns - 1) from the left, "
                        + "or -1…-\(columns) from the right)")
            }
        case .name(let name):
            guard header != false else {
                throw .usage("--label-column \(name) names a header column, but --no-header says there is none")
            }
            guard let found = texts.firstIndex(of: name) else {
                throw .usage(
                    "--label-column \(Excerpt.of(name)) is not a column of the CSV header "
                        + "(\(Excerpt.of(texts.joined(separator: ", "), limit: 300)))")
            }
            label = found
            header = true
        }
        if header == nil {
            header = fields.enumerated().contains { column, field in
                guard column != label, field.end > field.start else { return false }
                return NumberParser.parse(csv.bytes, field.start, field.end) == .notANumber
            }
        }
        if header == true {
            // Header names are feature_names and --label-column targets: they must be text and distinct.
            for (column, field) in fields.enumerated() {
                let raw = UnsafeBufferPointer(start: csv.bytes + field.start, count: field.end - field.start)
                if String(validating: raw, as: UTF8.self) == nil {
                    throw .badData(
                        "line \(line): header column \(column + 1) (\(Excerpt.of(texts[column]))) is not valid UTF-8 "
                            + "text; save the file as UTF-8")
                }
            }
            var seen: [String: Int] = [:]
            for (column, name) in texts.enumerated() {
                if let first = seen[name] {
                    throw .badData(
                        "line \(line): the header names column \(first + 1) and column \(column + 1) both "
                            + "'\(Excerpt.of(name))'; header names must be distinct")
                }
                seen[name] = column
            }
        }
        let layout = Layout(columns: columns, label: label, names: header == true ? texts : nil)
        if header == true {
            position = afterFirst
            line += firstLines
        }

        // The data rows, on every core when no quote can hide a newline.
        let ranges = csv.hasQuotes ? [position..<csv.count] : csv.lineRanges(from: position, parts: Parallel.cores)
        var startLines = [line]
        for range in ranges.dropLast() { startLines.append(startLines.last! + csv.newlines(in: range)) }
        var chunks = [Chunk]()
        Parallel.forEach(ranges.count) { part in
            parse(csv, ranges[part], firstLine: startLines[part], layout: layout)
        } into: { _, chunk in
            chunks.append(chunk)
        }
        if let error = chunks.first(where: { $0.error != nil })?.error { throw error }
        return try assemble(csv, chunks, layout)
    }

    private static func quoteError(_ error: CSV.ScanError) -> FetchError {
        switch error {
        case .badQuote(let line):
            .badData("line \(line): a quoted field is not closed, or text follows its closing quote")
        }
    }

    private func parse(_ csv: CSV, _ range: Range<Int>, firstLine: Int, layout: Layout) -> Chunk {
        var chunk = Chunk()
        let estimate = range.count / max(1, layout.columns * 8)
        chunk.features.reserveCapacity(estimate * (layout.columns - 1))
        chunk.labelNumbers.reserveCapacity(estimate)
        chunk.labelFields.reserveCapacity(estimate)
        var fields = [CSV.Field]()
        fields.reserveCapacity(layout.columns)
        var position = range.lowerBound
        var line = firstLine
        let bytes = csv.bytes
        let end = range.upperBound
        while position < end {
            let first = bytes[position]
            if first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") || first == UInt8(ascii: " ")
                || first == UInt8(ascii: "\t")
            {
                let (start, skipped) = csv.skipBlank(position, end: end)
                line &+= skipped
                position = start
                guard position < end else { break }
            }
            if let next = fastRow(bytes, position, end, layout, &chunk) {
                position = next
                line &+= 1
                chunk.rows &+= 1
                continue
            }
            let next: Int
            let lines: Int
            do {
                (next, lines) = try csv.record(at: position, end: end, into: &fields, line: line)
            } catch {
                chunk.error = Self.quoteError(error)
                return chunk
            }
            if let error = slowRow(csv, fields, line: line, layout: layout, &chunk) {
                chunk.error = error
                return chunk
            }
            chunk.rows &+= 1
            position = next
            line &+= lines
        }
        return chunk
    }

    /// The common row: numbers, and unquoted text at most in the label column, read in one pass over the bytes.
    /// Returns where the next row starts, or nil (with nothing appended) when the row needs `slowRow`: a quote,
    /// an empty or non-numeric feature cell, the wrong number of cells.
    @inline(__always)
    private func fastRow(
        _ bytes: UnsafePointer<UInt8>, _ position: Int, _ end: Int, _ layout: Layout,
        _ chunk: inout Chunk
    ) -> Int? {
        let mark = chunk.features.count
        let numericBefore = chunk.labelsNumeric
        var labelAppended = false
        func rollback(_ chunk: inout Chunk) -> Int? {
            chunk.features.removeSubrange(mark...)
            if labelAppended {
                chunk.labelFields.removeLast()
                chunk.labelNumbers.removeLast()
                chunk.labelsNumeric = numericBefore
            }
            return nil
        }
        var index = position
        var column = 0
        while true {
            while index < end && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")) {
                index &+= 1
            }
            let fieldStart = index
            let (result, stop) = NumberParser.scan(bytes, index, end)
            var fieldEnd = stop
            index = stop
            while index < end
                && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")
                    || bytes[index] == UInt8(ascii: "\r"))
            {
                index &+= 1
            }
            var number: Double? = nil
            if case .number(let value) = result,
                index == end || bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "\n")
            {
                number = value
            }
            if number == nil {
                // Text: only in the label column, unquoted and not empty.
                guard column == layout.label else { return rollback(&chunk) }
                index = fieldStart
                while index < end && bytes[index] != UInt8(ascii: ",") && bytes[index] != UInt8(ascii: "\n") {
                    if bytes[index] == UInt8(ascii: "\"") { return rollback(&chunk) }
                    index &+= 1
                }
                fieldEnd = index
                while fieldEnd > fieldStart
                    && (bytes[fieldEnd - 1] == UInt8(ascii: " ") || bytes[fieldEnd - 1] == UInt8(ascii: "\t")
                        || bytes[fieldEnd - 1] == UInt8(ascii: "\r"))
                {
                    fieldEnd &-= 1
                }
                guard fieldEnd > fieldStart else { return rollback(&chunk) }
            }
            if column == layout.label {
                chunk.labelFields.append(CSV.Field(start: fieldStart, end: fieldEnd, quoted: false, escaped: false))
                chunk.labelNumbers.append(number ?? .nan)
                if number == nil { chunk.labelsNumeric = false }
                labelAppended = true
            } else {
                chunk.features.append(number!)
            }
            column &+= 1
            if index == end || bytes[index] == UInt8(ascii: "\n") {
                guard column == layout.columns else { return rollback(&chunk) }
                return index == end ? end : index &+ 1
            }
            guard column < layout.columns else { return rollback(&chunk) }
            index &+= 1
        }
    }

    /// Any row, through the general tokenizer: quotes, missing cells, and the errors that name line and column.
    private func slowRow(
        _ csv: CSV, _ fields: [CSV.Field], line: Int, layout: Layout,
        _ chunk: inout Chunk
    ) -> FetchError? {
        guard fields.count == layout.columns else {
            return .badData(
                "line \(line) has \(fields.count) cells; every row needs \(layout.columns), as the first "
                    + "row has")
        }
        for column in 0..<layout.columns {
            let field = fields[column]
            let parsed = field.escaped ? .notANumber : NumberParser.parse(csv.bytes, field.start, field.end)
            if column == layout.label {
                chunk.labelFields.append(field)
                if case .number(let value) = parsed {
                    chunk.labelNumbers.append(value)
                } else if field.end == field.start {
                    if chunk.missingLabels.isEmpty { chunk.firstMissingLabelLine = line }
                    chunk.missingLabels.append(chunk.rows)
                    chunk.labelNumbers.append(.nan)
                    if options.missing == .error {
                        return .badData(
                            "line \(line): the label (\(layout.describe(column))) is empty; "
                                + "use --missing drop to skip such rows")
                    }
                } else {
                    chunk.labelsNumeric = false
                    chunk.labelNumbers.append(.nan)
                }
                continue
            }
            switch parsed {
            case .number(let value):
                chunk.features.append(value)
            case .notFinite where !isMissing(csv, field):
                return .badData("line \(line), \(layout.describe(column)): '\(csv.text(field))' is not a finite number")
            default:
                guard isMissing(csv, field) else {
                    return .badData(
                        "line \(line), \(layout.describe(column)): '\(csv.text(field))' is not a number; "
                            + "feature columns must be numeric (the label column is \(layout.describe(layout.label)); "
                            + "choose another with --label-column)")
                }
                if options.missing == .error {
                    return .badData(
                        "line \(line), \(layout.describe(column)) is missing ('\(csv.text(field))'); "
                            + "use --missing drop or --missing mean")
                }
                chunk.missing.append(chunk.features.count)
                chunk.features.append(.nan)
            }
        }
        return nil
    }

    private func isMissing(_ csv: CSV, _ field: CSV.Field) -> Bool {
        field.end - field.start <= 4 && Self.missingMarkers.contains(csv.text(field))
    }

    private func assemble(_ csv: CSV, _ chunks: [Chunk], _ layout: Layout) throws(FetchError) -> Dataset {
        let width = layout.columns - 1
        var features = [Double]()
        var labels = [Double]()
        var missing = [Int]()
        var missingLabels = [Int]()
        var fields = [CSV.Field]()
        var numeric = true
        let rows = chunks.reduce(0) { $0 + $1.rows }
        features.reserveCapacity(rows * width)
        labels.reserveCapacity(rows)
        for chunk in chunks {
            let rowOffset = labels.count
            missing.append(contentsOf: chunk.missing.map { $0 + features.count })
            missingLabels.append(contentsOf: chunk.missingLabels.map { $0 + rowOffset })
            features.append(contentsOf: chunk.features)
            labels.append(contentsOf: chunk.labelNumbers)
            numeric = numeric && chunk.labelsNumeric
        }
        if !missingLabels.isEmpty && options.missing == .mean {
            let line = chunks.first { !$0.missingLabels.isEmpty }!.firstMissingLabelLine
            throw .badData("line \(line): the label is empty, and a label cannot be imputed; use --missing drop")
        }
        var labelNames: [String]? = nil
        if !numeric {
            guard !options.regression else {
                throw .badData(
                    "the label column \(layout.describe(layout.label)) holds text, which cannot be a "
                        + "regression target")
            }
            for chunk in chunks { fields.append(contentsOf: chunk.labelFields) }
            let missingRows = Set(missingLabels)
            var texts = [String]()
            texts.reserveCapacity(fields.count)
            for (row, field) in fields.enumerated() { texts.append(missingRows.contains(row) ? "" : csv.text(field)) }
            let names = Array(Set(texts.enumerated().filter { !missingRows.contains($0.offset) }.map(\.element)))
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            // A label that is not UTF-8 would silently become U+FFFD (and merge with other such labels): refused.
            if names.contains(where: { $0.contains("\u{FFFD}") }) {
                for (row, field) in fields.enumerated()
                where !missingRows.contains(row) && texts[row].contains("\u{FFFD}") {
                    let raw = UnsafeBufferPointer(start: csv.bytes + field.start, count: field.end - field.start)
                    if String(validating: raw, as: UTF8.self) == nil {
                        throw .badData(
                            "the label of data row \(row + 1) is not valid UTF-8 text "
                                + "(\(Excerpt.of(texts[row]))); save the file as UTF-8")
                    }
                }
            }
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Double($0)) })
            for row in labels.indices where !missingRows.contains(row) { labels[row] = index[texts[row]]! }
            labelNames = names
        }
        var names = layout.names
        names?.remove(at: layout.label)
        return try finish(
            features: features, width: width, labels: labels, missing: missing,
            missingLabels: missingLabels, labelNames: labelNames, featureNames: names,
            describe: { layout.describe($0 < layout.label ? $0 : $0 + 1) })
    }

    /// Applies `--missing` to the cells and labels left missing, infers the task, and makes the Dataset.
    private func finish(
        features: [Double], width: Int, labels: [Double], missing: [Int], missingLabels: [Int],
        labelNames: [String]?, featureNames: [String]?,
        describe: (Int) -> String
    ) throws(FetchError) -> Dataset {
        var features = features
        var labels = labels
        if !missing.isEmpty || !missingLabels.isEmpty {
            switch options.missing {
            case .error:
                throw .badData("the data has missing values; use --missing drop or --missing mean")
            case .drop:
                var dropped = Set(missingLabels)
                for index in missing { dropped.insert(index / width) }
                var keptFeatures = [Double]()
                var keptLabels = [Double]()
                keptFeatures.reserveCapacity(features.count)
                for row in 0..<labels.count where !dropped.contains(row) {
                    keptFeatures.append(contentsOf: features[(row * width)..<((row + 1) * width)])
                    keptLabels.append(labels[row])
                }
                features = keptFeatures
                labels = keptLabels
            case .mean:
                var sums = [Double](repeating: 0, count: width)
                var counts = [Int](repeating: 0, count: width)
                for (index, value) in features.enumerated() where !value.isNaN {
                    sums[index % width] += value
                    counts[index % width] += 1
                }
                for index in missing {
                    let column = index % width
                    guard counts[column] > 0 else {
                        throw .badData("\(describe(column)) has no values at all, so it has no mean to fill in")
                    }
                    features[index] = sums[column] / Double(counts[column])
                }
            }
        }
        guard !labels.isEmpty else {
            throw .badData(
                options.missing == .drop && !(missing.isEmpty && missingLabels.isEmpty)
                    ? "no rows are left after dropping those with missing values"
                    : "the data has no rows; it needs at least one")
        }
        var task: Dataset.Task
        var classes: [Double]
        if let labelNames {
            task = .classification
            classes = (0..<labelNames.count).map(Double.init)
        } else {
            (task, classes) = Dataset.inferTask(labels: labels, regression: options.regression)
        }
        if let index = labels.firstIndex(where: { !$0.isFinite }) {
            throw .badData("label \(index + 1) is not a finite number")
        }
        let dataset = Dataset(
            features: features, width: width, labels: labels, task: task, classes: classes,
            labelNames: labelNames, featureNames: featureNames)
        do { try DatasetReader.validate(dataset) } catch { throw .badData(error.message) }  // the shared rules
        return dataset
    }

    // MARK: - JSON

    /// A Dataset document (kept as it is) or the plain `{"features": [[…]], "labels": […]}` (labels may be
    /// strings): read once, by Shared's `DatasetReader`, the one reader every tool uses (docs/formats.md §2.2).
    /// An array of rows `[[…, label], …]` (the label column as for CSV, `null` cells under `--missing`).
    private func json(_ content: UnsafeRawBufferPointer) throws(FetchError) -> Dataset {
        if Self.firstByte(content) == UInt8(ascii: "{") {
            if options.labelColumnGiven {
                throw .usage("--label-column applies to CSV and to JSON arrays of rows, not to a JSON object")
            }
            do {
                return try DatasetReader.read(Array(content), regression: options.regression)
            } catch {
                throw .badData(error.message)
            }
        }
        let document: JSON
        do {
            document = try JSONParser.parse(Array(content))
        } catch {
            throw .badData("the JSON is not valid: \(error)")
        }
        guard case .array(let rows) = document else {
            throw .badData("the JSON is \(document.typeName); expected a dataset object or an array of rows")
        }
        var table = [[JSON]]()
        var labels = [JSON]()
        for (index, row) in rows.enumerated() {
            guard case .array(var cells) = row else {
                throw .badData("row \(index + 1) of the JSON array is not an array of cells")
            }
            let label: Int
            switch options.labelColumn {
            case .last: label = cells.count - 1
            case .index(let given): label = given < 0 ? cells.count + given : given
            case .name(let name):
                throw .usage("--label-column \(name) needs a header; JSON rows have none, give an index")
            }
            guard label >= 0 && label < cells.count else {
                throw .badData("row \(index + 1) has no column \(label) for the label")
            }
            labels.append(cells.remove(at: label))
            table.append(cells)
        }
        return try self.table(table, labels: labels)
    }

    private func table(_ rows: [[JSON]], labels labelValues: [JSON]) throws(FetchError) -> Dataset {
        guard let first = rows.first else { throw .badData("the data has no rows; it needs at least one") }
        let width = first.count
        var features = [Double]()
        features.reserveCapacity(rows.count * width)
        var missing = [Int]()
        for (index, row) in rows.enumerated() {
            guard row.count == width else {
                throw .badData("features row \(index + 1) has \(row.count) values; every row needs \(width)")
            }
            for (column, cell) in row.enumerated() {
                if cell.isNull {
                    if options.missing == .error {
                        throw .badData(
                            "row \(index + 1), column \(column + 1) is null; use --missing drop or --missing mean")
                    }
                    missing.append(features.count)
                    features.append(.nan)
                } else if let value = cell.doubleValue, value.isFinite {
                    features.append(value)
                } else {
                    throw .badData("row \(index + 1), column \(column + 1) is \(cell.typeName), not a finite number")
                }
            }
        }
        var labels = [Double]()
        var missingLabels = [Int]()
        var labelNames: [String]? = nil
        if labelValues.contains(where: { $0.stringValue != nil }) {
            guard !options.regression else { throw .badData("string labels cannot be a regression target") }
            var texts = [String?]()
            for (index, value) in labelValues.enumerated() {
                if value.isNull {
                    missingLabels.append(index)
                    texts.append(nil)
                } else if let text = value.stringValue {
                    texts.append(text)
                } else if let number = value.numberValue {
                    texts.append(number.text)
                } else {
                    throw .badData("label \(index + 1) is \(value.typeName), not a string or a number")
                }
            }
            let names = Array(Set(texts.compactMap { $0 })).sorted {
                Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
            }
            let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Double($0)) })
            labels = texts.map { $0.map { position[$0]! } ?? .nan }
            labelNames = names
        } else {
            for (index, value) in labelValues.enumerated() {
                if value.isNull {
                    missingLabels.append(index)
                    labels.append(.nan)
                } else if let number = value.doubleValue, number.isFinite {
                    labels.append(number)
                } else {
                    throw .badData("label \(index + 1) is \(value.typeName), not a finite number")
                }
            }
        }
        if !missingLabels.isEmpty && options.missing != .drop {
            throw .badData("label \(missingLabels[0] + 1) is null; use --missing drop to skip such rows")
        }
        return try finish(
            features: features, width: width, labels: labels, missing: missing,
            missingLabels: missingLabels, labelNames: labelNames, featureNames: nil,
            describe: { "column \($0 + 1)" })
    }
}
