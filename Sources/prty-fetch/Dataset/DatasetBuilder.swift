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

    /// Applies `--missing` to the cells and labels left missing, infers the task, and makes the Dataset.
    func finish(
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
}
