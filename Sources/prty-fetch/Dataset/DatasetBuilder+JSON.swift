import Shared

/// JSON content → Dataset (docs/formats.md §2.1): objects through `DatasetReader`, arrays of rows here.
extension DatasetBuilder {
    /// A Dataset document (kept as it is) or the plain `{"features": [[…]], "labels": […]}` (labels may be
    /// strings): read once, by Shared's `DatasetReader`, the one reader every tool uses (docs/formats.md §2.2).
    /// An array of rows `[[…, label], …]` (the label column as for CSV, `null` cells under `--missing`).
    func json(_ content: UnsafeRawBufferPointer) throws(FetchError) -> Dataset {
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

    func table(_ rows: [[JSON]], labels labelValues: [JSON]) throws(FetchError) -> Dataset {
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
