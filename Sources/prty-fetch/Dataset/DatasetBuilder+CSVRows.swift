import Shared

/// The CSV data rows: a fast pass for the common all-numbers row, the general tokenizer for the rest.
extension DatasetBuilder {
    func parse(_ csv: CSV, _ range: Range<Int>, firstLine: Int, layout: CSVLayout) -> CSVChunk {
        var chunk = CSVChunk()
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
    func fastRow(
        _ bytes: UnsafePointer<UInt8>, _ position: Int, _ end: Int, _ layout: CSVLayout,
        _ chunk: inout CSVChunk
    ) -> Int? {
        let mark = chunk.features.count
        let numericBefore = chunk.labelsNumeric
        var labelAppended = false
        func rollback(_ chunk: inout CSVChunk) -> Int? {
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
    func slowRow(
        _ csv: CSV, _ fields: [CSV.Field], line: Int, layout: CSVLayout,
        _ chunk: inout CSVChunk
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

    func isMissing(_ csv: CSV, _ field: CSV.Field) -> Bool {
        field.end - field.start <= 4 && Self.missingMarkers.contains(csv.text(field))
    }
}
