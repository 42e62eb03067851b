/// Reads a Dataset document, or the seed's plain `{"features": [[…]], "labels": […]}` (then `task` and
/// `classes` are inferred exactly as prty-fetch would).
public enum DatasetReader {
    public static let format = "prty.dataset/1"
    static let keys = ["format", "features", "labels", "task", "classes", "label_names", "feature_names",
                       "source", "partition"]

    public static func read(_ bytes: [UInt8], regression: Bool = false) throws(DataError) -> Dataset {
        let document = try JSONParser.parse(bytes)
        guard case .object(let object) = document else {
            throw DataError("a dataset must be a JSON object, got \(document.typeName)")
        }
        return try decode(object, regression: regression)
    }

    static func decode(_ object: [String: JSON], regression: Bool) throws(DataError) -> Dataset {
        for key in object.keys.sorted() where !keys.contains(key) {
            throw DataError("unknown key '\(key)' in the dataset; known keys: \(keys.joined(separator: ", "))")
        }
        if let format = object["format"], format.stringValue != Self.format {
            throw DataError("unsupported dataset format \(format.serialized()); expected \"\(Self.format)\"")
        }
        guard case .array(let rows)? = object["features"] else { throw DataError("dataset has no features array") }
        guard case .array(let labelValues)? = object["labels"] else { throw DataError("dataset has no labels array") }
        guard rows.count == labelValues.count else {
            throw DataError("dataset has \(rows.count) feature rows but \(labelValues.count) labels")
        }
        var features = [Double]()
        var width = -1
        for (index, row) in rows.enumerated() {
            guard case .array(let cells) = row else { throw DataError("features row \(index) is not an array") }
            if width < 0 { width = cells.count }
            guard cells.count == width else {
                throw DataError("features row \(index) has \(cells.count) values, expected \(width)")
            }
            for (column, cell) in cells.enumerated() {
                guard let value = cell.doubleValue, value.isFinite else {
                    throw DataError("features row \(index), column \(column) is not a finite number")
                }
                features.append(value)
            }
        }
        var labels = [Double]()
        for (index, cell) in labelValues.enumerated() {
            guard let value = cell.doubleValue, value.isFinite else {
                throw DataError("label \(index) is not a finite number")
            }
            labels.append(value)
        }
        let featureNames = try strings(object["feature_names"], "feature_names")
        if width < 0 { width = featureNames?.count ?? 0 }
        if let featureNames, featureNames.count != width {
            throw DataError("feature_names has \(featureNames.count) names for \(width) features")
        }
        let labelNames = try strings(object["label_names"], "label_names")
        var (task, classes) = Dataset.inferTask(labels: labels, regression: regression)
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
