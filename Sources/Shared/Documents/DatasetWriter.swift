/// Writes a Dataset document: sorted keys, one line, shortest round-trip numbers.
public enum DatasetWriter {
    public static func bytes(_ dataset: Dataset) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(dataset.features.count * 20 + dataset.labels.count * 4 + 4096)
        write(dataset, to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    public static func write(_ dataset: Dataset, to out: inout [UInt8]) {
        func key(_ name: String) {
            JSON.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        out.append(UInt8(ascii: "{"))
        if dataset.task == .classification {
            key("classes")
            writeNumbers(dataset.classes, to: &out)
            out.append(UInt8(ascii: ","))
        }
        if let names = dataset.featureNames {
            key("feature_names")
            JSON.strings(names).write(to: &out)
            out.append(UInt8(ascii: ","))
        }
        key("features")
        dataset.features.withUnsafeBufferPointer {
            writeRows($0, width: dataset.width, rows: dataset.count, to: &out)
        }
        out.append(UInt8(ascii: ","))
        key("format")
        JSON.writeString(DatasetReader.format, to: &out)
        out.append(UInt8(ascii: ","))
        if let names = dataset.labelNames {
            key("label_names")
            JSON.strings(names).write(to: &out)
            out.append(UInt8(ascii: ","))
        }
        key("labels")
        writeNumbers(dataset.labels, to: &out)
        if let partition = dataset.partition {
            out.append(UInt8(ascii: ","))
            key("partition")
            partition.write(to: &out)
        }
        if let source = dataset.source {
            out.append(UInt8(ascii: ","))
            key("source")
            source.write(to: &out)
        }
        out.append(UInt8(ascii: ","))
        key("task")
        JSON.writeString(dataset.task.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `[n,n,…]` for a short list (classes, labels).
    static func writeNumbers<Numbers: Collection>(_ values: Numbers, to out: inout [UInt8])
    where Numbers.Element == Double {
        Array(values).withUnsafeBufferPointer { writeRows($0, width: $0.count, rows: 1, brackets: false, to: &out) }
    }

    /// `[[n,…],[n,…]]`: the rows of `values` (row-major, `width` per row), formatted straight into a scratch
    /// buffer a few kilobytes at a time and appended with one copy each. No String per number.
    static func writeRows(_ values: UnsafeBufferPointer<Double>, width: Int, rows: Int, brackets: Bool = true,
                          to out: inout [UInt8]) {
        let writer = DoubleWriter()
        let rowBytes = width * (NumberFormat.maxLength + 1) + 3
        let rowsPerChunk = max(1, 16_384 / rowBytes)
        if brackets { out.append(UInt8(ascii: "[")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rowsPerChunk * rowBytes) { scratch in
            let base = scratch.baseAddress!
            var row = 0
            while row < rows {
                let stop = min(row + rowsPerChunk, rows)
                var length = 0
                while row < stop {
                    if row > 0 {
                        base[length] = UInt8(ascii: ",")
                        length &+= 1
                    }
                    base[length] = UInt8(ascii: "[")
                    length &+= 1
                    let first = row &* width
                    for position in first..<first &+ width {
                        if position > first {
                            base[length] = UInt8(ascii: ",")
                            length &+= 1
                        }
                        length &+= writer.write(values[position], to: base + length)
                    }
                    base[length] = UInt8(ascii: "]")
                    length &+= 1
                    row &+= 1
                }
                out.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
            }
        }
        if brackets { out.append(UInt8(ascii: "]")) }
    }
}
