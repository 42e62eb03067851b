import Shared

/// CSV content → Dataset (docs/formats.md §2.1): the first row decides the layout (header, label column), the
/// data rows are parsed on every core (`DatasetBuilder+CSVRows.swift`), and `assemble` joins the chunks in order
/// and maps string labels.
extension DatasetBuilder {
    func csv(_ buffer: UnsafeRawBufferPointer) throws(FetchError) -> Dataset {
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
        let layout = CSVLayout(columns: columns, label: label, names: header == true ? texts : nil)
        if header == true {
            position = afterFirst
            line += firstLines
        }

        // The data rows, on every core when no quote can hide a newline.
        let ranges = csv.hasQuotes ? [position..<csv.count] : csv.lineRanges(from: position, parts: Parallel.cores)
        var startLines = [line]
        for range in ranges.dropLast() { startLines.append(startLines.last! + csv.newlines(in: range)) }
        var chunks = [CSVChunk]()
        Parallel.forEach(ranges.count) { part in
            parse(csv, ranges[part], firstLine: startLines[part], layout: layout)
        } into: { _, chunk in
            chunks.append(chunk)
        }
        if let error = chunks.first(where: { $0.error != nil })?.error { throw error }
        return try assemble(csv, chunks, layout)
    }

    static func quoteError(_ error: CSV.ScanError) -> FetchError {
        switch error {
        case .badQuote(let line):
            .badData("line \(line): a quoted field is not closed, or text follows its closing quote")
        }
    }

    func assemble(_ csv: CSV, _ chunks: [CSVChunk], _ layout: CSVLayout) throws(FetchError) -> Dataset {
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
}
