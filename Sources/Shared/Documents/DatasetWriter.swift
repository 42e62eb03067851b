/// Writes a Dataset document: sorted keys, one line, shortest round-trip numbers (`NumberFormat`).
///
/// The bulk numbers are formatted straight into the storage of the returned array, sized once from an upper
/// bound (at most 24 bytes a number plus a separator), so there is no String per number and no copy to grow.
public enum DatasetWriter {
    /// The document and a final newline.
    public static func bytes(_ dataset: Dataset) -> [UInt8] {
        // The small fields first: their sizes bound the whole.
        let featureNames = dataset.featureNames.map { serialized(.strings($0)) }
        let labelNames = dataset.labelNames.map { serialized(.strings($0)) }
        let partition = dataset.partition.map(serialized)
        let source = dataset.source.map(serialized)
        let small = [featureNames, labelNames, partition, source].reduce(0) { $0 + ($1?.count ?? 0) }
        let numbers = dataset.features.count + dataset.labels.count + dataset.classes.count
        let capacity = numbers * (maxNumberLength + 1) + dataset.count * 3 + small + 256
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            let base = buffer.baseAddress!
            var out = ByteCursor(base)
            out.append("{")
            if dataset.task == .classification {
                out.append("\"classes\":")
                dataset.classes.withUnsafeBufferPointer { writeList($0, to: &out) }
                out.append(",")
            }
            if let featureNames {
                out.append("\"feature_names\":")
                out.append(featureNames)
                out.append(",")
            }
            out.append("\"features\":")
            dataset.features.withUnsafeBufferPointer {
                writeRows($0, width: dataset.width, rows: dataset.count, to: &out)
            }
            out.append(",\"format\":\"prty.dataset/1\",")
            if let labelNames {
                out.append("\"label_names\":")
                out.append(labelNames)
                out.append(",")
            }
            out.append("\"labels\":")
            dataset.labels.withUnsafeBufferPointer { writeList($0, to: &out) }
            if let partition {
                out.append(",\"partition\":")
                out.append(partition)
            }
            if let source {
                out.append(",\"source\":")
                out.append(source)
            }
            out.append(
                dataset.task == .classification ? ",\"task\":\"classification\"}\n" : ",\"task\":\"regression\"}\n")
            count = out.pointer - base
            precondition(count <= capacity, "DatasetWriter overran its bound")  // an overrun would be a bug above
        }
    }

    /// The document (without the final newline) appended to `out`.
    public static func write(_ dataset: Dataset, to out: inout [UInt8]) {
        out.append(contentsOf: bytes(dataset).dropLast())
    }

    /// The longest text `NumberFormat` writes for one number: "-1.2345678901234567e-308".
    static let maxNumberLength = 24

    private static func serialized(_ value: JSON) -> [UInt8] {
        var out = [UInt8]()
        value.write(to: &out)
        return out
    }

    /// `[n,n,…]`.
    static func writeList(_ values: UnsafeBufferPointer<Double>, to out: inout ByteCursor) {
        let writer = DoubleWriter()
        out.append("[")
        for index in values.indices {
            if index > 0 { out.append(",") }
            out.pointer += writer.write(values[index], to: out.pointer)
        }
        out.append("]")
    }

    /// `[[n,…],[n,…]]`: `rows` rows of `width` values, row-major.
    static func writeRows(_ values: UnsafeBufferPointer<Double>, width: Int, rows: Int, to out: inout ByteCursor) {
        let writer = DoubleWriter()
        var cursor = out.pointer
        cursor.pointee = UInt8(ascii: "[")
        cursor += 1
        var position = 0
        for row in 0..<rows {
            if row > 0 {
                cursor.pointee = UInt8(ascii: ",")
                cursor += 1
            }
            cursor.pointee = UInt8(ascii: "[")
            cursor += 1
            for column in 0..<width {
                if column > 0 {
                    cursor.pointee = UInt8(ascii: ",")
                    cursor += 1
                }
                cursor += writer.write(values[position], to: cursor)
                position &+= 1
            }
            cursor.pointee = UInt8(ascii: "]")
            cursor += 1
        }
        cursor.pointee = UInt8(ascii: "]")
        out.pointer = cursor + 1
    }
}

/// A write position in a buffer whose size the caller has already checked.
struct ByteCursor {
    var pointer: UnsafeMutablePointer<UInt8>

    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        pointer.initialize(from: source, count: bytes.count)
        pointer += bytes.count
    }
}
