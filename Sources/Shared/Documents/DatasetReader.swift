import Foundation

/// Reads a Dataset document, or the seed's plain `{"features": [[…]], "labels": […]}` (then `task` and
/// `classes` are inferred exactly as prty-fetch would).
///
/// The one set of rules every tool applies to a dataset it reads (prty-fetch applies `validate` to what it
/// builds, prty-partition and prty-train read through here; docs/formats.md):
/// - at least one row, and at least one feature per row; every row as wide as the first;
/// - features and labels are finite numbers;
/// - a plain dataset (no `format` key) may have string labels: they become 0..K-1 in Unicode code-point order,
///   kept in `label_names`, exactly as prty-fetch does; a `prty.dataset/1` document's labels are numbers;
/// - classification labels are among `classes`.
///
/// The top-level object is streamed: `features` and `labels` go byte by byte straight into flat `[Double]`s
/// (no JSON tree for the bulk numbers), the small fields go through `JSONParser`. Malformed JSON is reported with
/// its line and column, as `JSONParser` does.
public enum DatasetReader {
    public static let format = "prty.dataset/1"
    static let keys = ["format", "features", "labels", "task", "classes", "label_names", "feature_names",
                       "source", "partition"]

    /// `allowEmpty`: a document with no rows is accepted (only to inspect an empty part prty-partition wrote).
    public static func read(_ bytes: [UInt8], regression: Bool = false, allowEmpty: Bool = false)
        throws(DataError) -> Dataset
    {
        var scanner = DatasetScanner(bytes)
        let fields = try scanner.document()
        let dataset = try decode(fields, regression: regression)
        if !(allowEmpty && dataset.count == 0) { try validate(dataset) }
        return dataset
    }

    /// The rules every tool applies to a dataset, whoever built it.
    public static func validate(_ dataset: Dataset) throws(DataError) {
        guard dataset.count > 0 else { throw DataError("the dataset has no rows; it needs at least one") }
        guard dataset.width > 0 else {
            throw DataError("the dataset's rows have no features; it needs at least one feature column besides the label")
        }
        if let index = dataset.features.firstIndex(where: { !$0.isFinite }) {
            throw DataError("features row \(index / dataset.width), column \(index % dataset.width) is not a finite number")
        }
        if let row = dataset.labels.firstIndex(where: { !$0.isFinite }) {
            throw DataError("label \(row) is not a finite number")
        }
    }

    /// String labels of a plain dataset: 0..K-1 in Unicode code-point order of the strings (numbers among them
    /// count as their literal text), as prty-fetch maps a CSV's label column.
    static func stringLabels(_ values: [JSON]) throws(DataError) -> (labels: [Double], names: [String]) {
        var texts = [String]()
        texts.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            if let text = value.stringValue {
                texts.append(text)
            } else if let number = value.numberValue {
                texts.append(number.text)
            } else {
                throw DataError("label \(index) is \(value.typeName), not a string or a number")
            }
        }
        let names = Array(Set(texts)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var position: [String: Double] = [:]
        for (index, name) in names.enumerated() { position[name] = Double(index) }
        return (texts.map { position[$0] ?? 0 }, names)
    }

    /// The checks that apply once the whole document is read, in the order people fix them.
    static func decode(_ fields: DatasetFields, regression: Bool) throws(DataError) -> Dataset {
        var fields = fields
        let object = fields.small
        if let format = object["format"], format.stringValue != Self.format {
            throw DataError("unsupported dataset format \(format.serialized()); expected \"\(Self.format)\"")
        }
        guard let features = fields.features else { throw DataError("dataset has no features array") }
        var labelNames = try strings(object["label_names"], "label_names")
        var stringLabelled = false
        if let values = fields.labelValues {  // a label that is not a number
            guard object["format"] == nil else {
                throw DataError(
                    "the labels of a \(Self.format) document must be numbers (string labels are stored as 0..K-1 "
                        + "with label_names); drop \"format\" to have them mapped as in a plain dataset")
            }
            guard !regression else { throw DataError("string labels cannot be a regression target") }
            guard labelNames == nil else {
                throw DataError("a dataset with string labels cannot also have label_names: the strings are the names")
            }
            let mapped = try stringLabels(values)
            fields.labels = mapped.labels
            labelNames = mapped.names
            stringLabelled = true
        }
        guard let labels = fields.labels else { throw DataError("dataset has no labels array") }
        guard fields.rows == labels.count else {
            throw DataError("dataset has \(fields.rows) feature rows but \(labels.count) labels")
        }
        var width = fields.rows > 0 ? fields.width : -1
        let featureNames = try strings(object["feature_names"], "feature_names")
        if width < 0 { width = featureNames?.count ?? 0 }
        if let featureNames, featureNames.count != width {
            throw DataError("feature_names has \(featureNames.count) names for \(width) features")
        }
        var (task, classes) = Dataset.inferTask(labels: labels, regression: regression)
        if stringLabelled, let labelNames { (task, classes) = (.classification, labelNames.indices.map(Double.init)) }
        if let text = object["task"] {
            guard let name = text.stringValue, let given = Dataset.Task(rawValue: name) else {
                throw DataError("task must be \"classification\" or \"regression\", got \(text.serialized())")
            }
            task = given
        }
        if task == .regression { classes = [] }
        if let given = object["classes"], task == .classification {
            guard case .array(let items) = given else { throw DataError("classes must be an array") }
            classes = try items.map { (item: JSON) throws(DataError) -> Double in
                guard let value = item.doubleValue, value.isFinite else { throw DataError("classes must be numbers") }
                return value
            }
            guard classes == Array(Set(classes)).sorted() else {
                throw DataError("classes must be sorted and distinct")
            }
        }
        if task == .classification {
            let known = Set(classes)
            if let index = labels.firstIndex(where: { !known.contains($0) }) {
                throw DataError("label \(NumberFormat.shortest(labels[index])) of row \(index) is not among classes")
            }
            if let labelNames, labelNames.count != classes.count {
                throw DataError("label_names has \(labelNames.count) names for \(classes.count) classes")
            }
        }
        return Dataset(features: features, width: max(width, 0), labels: labels, task: task, classes: classes,
                       labelNames: labelNames, featureNames: featureNames, source: object["source"],
                       partition: object["partition"])
    }

    private static func strings(_ value: JSON?, _ key: String) throws(DataError) -> [String]? {
        guard let value, !value.isNull else { return nil }
        guard case .array(let items) = value else { throw DataError("\(key) must be an array of strings") }
        return try items.map { (item: JSON) throws(DataError) -> String in
            guard let text = item.stringValue else { throw DataError("\(key) must be an array of strings") }
            return text
        }
    }
}

/// What the scanner collected: the bulk arrays flat, every other key as a small JSON value.
struct DatasetFields {
    var features: [Double]?
    var rows = 0
    var width = 0
    var labels: [Double]?
    /// The labels as JSON values when one of them is not a number (string labels of a plain dataset).
    var labelValues: [JSON]?
    var small: [String: JSON] = [:]
}

/// The byte-level reader behind `DatasetReader`.
struct DatasetScanner {
    private let bytes: [UInt8]
    private var index = 0
    private let numbers = DecimalParser()

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(DataError) -> DatasetFields {
        index = JSONParser.byteOrderMarkLength(bytes)
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            // Not an object: let the general parser say whether it is malformed or just another JSON type.
            let document = try JSONParser.parse(bytes)
            throw DataError("a dataset must be a JSON object, got \(document.typeName)")
        }
        index += 1
        var fields = DatasetFields()
        var seen = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            members: while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw malformed("expected a string key") }
                guard case .string(let key) = try JSONParser.parseValue(bytes, at: &index) else {
                    throw malformed("expected a string key")
                }
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw malformed("expected ':' after the key \"\(key)\"") }
                index += 1
                skipWhitespace()
                guard seen.insert(key).inserted else { throw malformed("duplicate key \"\(key)\"") }
                guard DatasetReader.keys.contains(key) else {
                    throw DataError("unknown key '\(key)' in the dataset; known keys: "
                        + DatasetReader.keys.joined(separator: ", "))
                }
                switch key {
                case "features" where peek() == UInt8(ascii: "["):
                    (fields.features, fields.rows, fields.width) = try features()
                case "labels" where peek() == UInt8(ascii: "["):
                    let start = index
                    do {
                        fields.labels = try labels()
                    } catch let error where error.message.hasSuffix(DatasetScanner.notANumberSuffix) {
                        index = start  // not all numbers: read them as JSON values, decode maps strings
                        guard case .array(let values) = try JSONParser.parseValue(bytes, at: &index) else {
                            throw error
                        }
                        fields.labelValues = values
                    }
                case "features", "labels":
                    _ = try JSONParser.parseValue(bytes, at: &index)  // not an array: decode says so
                default:
                    fields.small[key] = try JSONParser.parseValue(bytes, at: &index)
                }
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    break members
                default: throw malformed("expected ',' or '}' in an object")
                }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw malformed("unexpected text after the JSON value") }
        return fields
    }

    /// `[[n, …], …]` into one row-major buffer; every row as wide as the first.
    private mutating func features() throws(DataError) -> ([Double], rows: Int, width: Int) {
        // Full-precision numbers take about 20 bytes each with their comma; shorter ones make the array grow.
        var buffer = DoubleCollector(estimate: bytes.count / 16 + 16)
        var rows = 0
        var width = 0
        let bytes = self.bytes
        let end = bytes.count
        let parser = numbers
        do throws(DataError) {
            try bytes.withUnsafeBufferPointer { (all: UnsafeBufferPointer<UInt8>) throws(DataError) in
                let base = all.baseAddress!
                var index = self.index + 1  // past '['
                @inline(__always) func skip() {
                    while index < end && base[index] <= 0x20 && isWhitespace(base[index]) { index &+= 1 }
                }
                skip()
                if index < end && base[index] == UInt8(ascii: "]") {
                    self.index = index + 1
                    return
                }
                while true {
                    skip()
                    guard index < end, base[index] == UInt8(ascii: "[") else {
                        self.index = index
                        throw notArray("features row \(rows) is not an array")
                    }
                    index &+= 1
                    skip()
                    var column = 0
                    if index < end && base[index] == UInt8(ascii: "]") {
                        index &+= 1
                    } else {
                        while true {
                            skip()
                            switch parser.scan(base, from: index, end: end) {
                            case .number(let value, let next):
                                buffer.append(value)
                                index = next
                            case .notANumber:
                                self.index = index
                                throw notNumber("features row \(rows), column \(column) is not a finite number")
                            case .malformed(let message, let at):
                                self.index = at
                                throw malformed(message)
                            case .outOfRange(let start, let stop):
                                self.index = start
                                throw outOfRange(start, stop)
                            }
                            column &+= 1
                            skip()
                            guard index < end else {
                                self.index = index
                                throw malformed("expected ',' or ']' in an array")
                            }
                            if base[index] == UInt8(ascii: ",") {
                                index &+= 1
                            } else if base[index] == UInt8(ascii: "]") {
                                index &+= 1
                                break
                            } else {
                                self.index = index
                                throw malformed("expected ',' or ']' in an array")
                            }
                        }
                    }
                    if rows == 0 {
                        width = column
                    } else if column != width {
                        throw DataError("features row \(rows) has \(column) values, expected \(width)")
                    }
                    rows &+= 1
                    skip()
                    guard index < end else {
                        self.index = index
                        throw malformed("expected ',' or ']' in an array")
                    }
                    if base[index] == UInt8(ascii: ",") {
                        index &+= 1
                    } else if base[index] == UInt8(ascii: "]") {
                        self.index = index + 1
                        return
                    } else {
                        self.index = index
                        throw malformed("expected ',' or ']' in an array")
                    }
                }
            }
        } catch {
            buffer.discard()
            throw error
        }
        return (buffer.finish(), rows, width)
    }

    /// `[n, …]`: the labels, each a finite number.
    private mutating func labels() throws(DataError) -> [Double] {
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return []
        }
        var buffer = DoubleCollector(estimate: 1024)
        do throws(DataError) {
            try labelValues(into: &buffer)
        } catch {
            buffer.discard()
            throw error
        }
        return buffer.finish()
    }

    private mutating func labelValues(into buffer: inout DoubleCollector) throws(DataError) {
        let parser = numbers
        let bytes = self.bytes
        while true {
            skipWhitespace()
            let scan = bytes.withUnsafeBufferPointer { parser.scan($0.baseAddress!, from: index, end: $0.count) }
            switch scan {
            case .number(let value, let next):
                buffer.append(value)
                index = next
            case .notANumber: throw notNumber("label \(buffer.count)\(Self.notANumberSuffix)")
            case .malformed(let message, let at):
                index = at
                throw malformed(message)
            case .outOfRange(let start, let stop):
                index = start
                throw outOfRange(start, stop)
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw malformed("expected ',' or ']' in an array")
            }
        }
    }

    static let notANumberSuffix = " is not a finite number"

    /// A value where a row should be: a malformed-JSON error if it is not JSON at all, else `message`.
    private func notArray(_ message: String) -> DataError {
        var probe = index
        do { _ = try JSONParser.parseValue(bytes, at: &probe) } catch { return error }
        return DataError(message)
    }

    private func notNumber(_ message: String) -> DataError { notArray(message) }

    private func outOfRange(_ start: Int, _ end: Int) -> DataError {
        let literal = String(decoding: bytes[start..<end], as: UTF8.self)
        return malformed("number \(literal) is out of range")
    }

    private func malformed(_ what: String) -> DataError {
        DataError("malformed JSON at \(TextPosition(bytes[...], offset: index)): \(what)")
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count && isWhitespace(bytes[index]) { index += 1 }
    }
}

@inline(__always)
private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
}

/// Collects parsed numbers into their final Array: a few hundred at a time in a small scratch buffer (which stays
/// in L1), appended with one copy each, into an array reserved from an estimate. No second copy of the whole at
/// the end, and no page touched twice.
private struct DoubleCollector {
    private(set) var values: [Double]
    private let scratch: UnsafeMutablePointer<Double>
    private var filled = 0
    private static let chunk = 512

    init(estimate: Int) {
        values = []
        values.reserveCapacity(estimate)
        scratch = .allocate(capacity: Self.chunk)
    }

    var count: Int { values.count + filled }

    @inline(__always)
    mutating func append(_ value: Double) {
        scratch[filled] = value
        filled &+= 1
        if filled == Self.chunk { flush() }
    }

    mutating func flush() {
        values.append(contentsOf: UnsafeBufferPointer(start: scratch, count: filled))
        filled = 0
    }

    /// The numbers, after which the collector must not be used.
    mutating func finish() -> [Double] {
        flush()
        scratch.deallocate()
        return values
    }

    func discard() { scratch.deallocate() }
}
