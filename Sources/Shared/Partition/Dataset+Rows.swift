extension Dataset {
    /// The given rows, in the given order (repeats allowed), keeping every piece of metadata: Shared's
    /// `subset(_:)` with one block copy per row instead of a generic slice append (a third of the partitioning
    /// time for a 100,000-row part).
    public func picking(_ rows: [Int]) -> Dataset {
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
}
