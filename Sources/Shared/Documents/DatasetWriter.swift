/// Writes a Dataset document: sorted keys, one line, shortest round-trip numbers.
public enum DatasetWriter {
    public static func bytes(_ dataset: Dataset) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(dataset.features.count * 8 + 256)
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
        out.append(UInt8(ascii: "["))
        for row in 0..<dataset.count {
            if row > 0 { out.append(UInt8(ascii: ",")) }
            writeNumbers(dataset.row(row), to: &out)
        }
        out.append(UInt8(ascii: "]"))
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

    static func writeNumbers<Numbers: Collection>(_ values: Numbers, to out: inout [UInt8])
    where Numbers.Element == Double {
        out.append(UInt8(ascii: "["))
        var first = true
        for value in values {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: NumberFormat.shortest(value).utf8)
        }
        out.append(UInt8(ascii: "]"))
    }
}
