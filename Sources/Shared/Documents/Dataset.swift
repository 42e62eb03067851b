/// A Dataset document in memory (docs/formats.md §2): the bulk numbers
/// flat and row-major, the metadata beside them. `DatasetReader` and `DatasetWriter` stream it.
public struct Dataset: Sendable, Equatable {
    public enum Task: String, Sendable { case classification, regression }

    /// Row-major features: row `i` is `features[i * width ..< (i + 1) * width]`.
    public var features: [Double]
    /// Features per row.
    public var width: Int
    public var labels: [Double]
    public var task: Task
    /// Classification: the sorted distinct label values of the WHOLE dataset (travels unchanged through
    /// partitioning, so every participant sizes its model identically). Empty for regression.
    public var classes: [Double]
    /// Only when the label column held strings: `labelNames[k]` is the string of label value `k`.
    public var labelNames: [String]?
    public var featureNames: [String]?
    /// `{"cid", "format"}`: where the data came from; nothing machine- or time-dependent.
    public var source: JSON?
    /// Set by prty-partition: which part this is and how it was made.
    public var partition: JSON?

    public init(features: [Double], width: Int, labels: [Double], task: Task, classes: [Double],
                labelNames: [String]? = nil, featureNames: [String]? = nil, source: JSON? = nil,
                partition: JSON? = nil) {
        precondition(features.count == width * labels.count, "features must hold width × rows values")
        self.features = features
        self.width = width
        self.labels = labels
        self.task = task
        self.classes = classes
        self.labelNames = labelNames
        self.featureNames = featureNames
        self.source = source
        self.partition = partition
    }

    /// Number of rows (samples).
    public var count: Int { labels.count }

    public func row(_ index: Int) -> ArraySlice<Double> { features[index * width..<(index + 1) * width] }

    /// The given rows, in the given order (repeats allowed), keeping every piece of metadata. One block copy
    /// per row into uninitialised storage (a generic slice append cost a third of a 100,000-row partition).
    public func subset(_ rows: [Int]) -> Dataset {
        var copy = self
        let width = self.width
        copy.features = [Double](unsafeUninitializedCapacity: rows.count * width) { buffer, initialized in
            features.withUnsafeBufferPointer { all in
                guard width > 0, let source = all.baseAddress, let target = buffer.baseAddress else { return }
                for (index, row) in rows.enumerated() {
                    (target + index * width).initialize(from: source + row * width, count: width)
                }
            }
            initialized = rows.count * width
        }
        copy.labels = labels.withUnsafeBufferPointer { all in rows.map { all[$0] } }
        return copy
    }

    /// Infers `task` and `classes` from labels exactly as prty-fetch does: integer-valued labels are
    /// classification unless `regression` is asked for; any fractional label makes it regression.
    public static func inferTask(labels: [Double], regression: Bool = false) -> (Task, [Double]) {
        if regression || labels.contains(where: { $0 != $0.rounded() }) { return (.regression, []) }
        return (.classification, Array(Set(labels)).sorted())
    }
}
