/// Writes a Dataset document: sorted keys, one line, shortest round-trip numbers (`NumberFormat`).
///
/// The document is streamed: the bulk numbers are formatted, straight from the Doubles and without a String per
/// number, into a buffer of about `chunkSize` bytes that goes to the sink whenever the next piece might not fit,
/// so writing a dataset of any size touches only that buffer (it stays in the cache, and peak memory does not
/// grow by the size of the document). Blocks of feature rows are formatted on every core (`Parallel`), each
/// into its own buffer, and handed on in row order: the bytes never depend on the number of cores or the chunk
/// size. `bytes` is the same stream collected into one array.
public enum DatasetWriter {
    /// The default size of the pieces handed to a sink.
    public static let chunkSize = 1 << 20

    /// The document and a final newline, as one array.
    public static func bytes(_ dataset: Dataset) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(upperBound(dataset))
        write(dataset) { out.append(contentsOf: $0) }
        return out
    }

    /// Streams the document to stdout (`Tool.writeStdout`, which exits 1 naming the reason if it cannot write).
    public static func writeStdout(_ dataset: Dataset) {
        write(dataset) { Tool.writeStdout(UnsafeRawBufferPointer($0)) }
    }

    /// Streams the document and a final newline to `sink`, in pieces of at most about `chunkSize` bytes (a
    /// piece holds at least one whole row). The pieces are only valid during the call.
    public static func write(
        _ dataset: Dataset, chunkSize: Int = chunkSize, to sink: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let rowBound = dataset.width * (NumberFormat.maxLength + 1) + 3
        withoutActuallyEscaping(sink) { sink in
            var out = ChunkBuffer(capacity: max(chunkSize, rowBound, NumberFormat.maxLength + 1), sink: sink)
            out.append("{")
            if dataset.task == .classification {
                out.append("\"classes\":")
                dataset.classes.withUnsafeBufferPointer { writeList($0, to: &out) }
                out.append(",")
            }
            writeNames(dataset.featureNames, key: "\"feature_names\":", to: &out)
            out.append("\"features\":[")
            dataset.features.withUnsafeBufferPointer {
                writeRows($0, width: dataset.width, rows: dataset.count, rowBound: rowBound, to: &out)
            }
            out.append("],\"format\":\"prty.dataset/1\",")
            writeNames(dataset.labelNames, key: "\"label_names\":", to: &out)
            out.append("\"labels\":")
            dataset.labels.withUnsafeBufferPointer { writeList($0, to: &out) }
            if let partition = dataset.partition {
                out.append(",\"partition\":")
                out.append(serialized(partition))
            }
            if let source = dataset.source {
                out.append(",\"source\":")
                out.append(serialized(source))
            }
            out.append(
                dataset.task == .classification ? ",\"task\":\"classification\"}\n" : ",\"task\":\"regression\"}\n")
            out.flush()
        }
    }

    /// At most this many bytes: every number at its longest, with its separator and brackets.
    static func upperBound(_ dataset: Dataset) -> Int {
        let numbers = dataset.features.count + dataset.labels.count + dataset.classes.count
        return numbers * (NumberFormat.maxLength + 1) + dataset.count * 3 + 512
    }

    private static func serialized(_ value: JSON) -> [UInt8] {
        var out = [UInt8]()
        value.write(to: &out)
        return out
    }

    /// `"key":["name",…],` when there are names.
    private static func writeNames(_ names: [String]?, key: StaticString, to out: inout ChunkBuffer) {
        guard let names else { return }
        out.append(key)
        out.append(serialized(.strings(names)))
        out.append(",")
    }

    /// `[n,n,…]`.
    static func writeList(_ values: UnsafeBufferPointer<Double>, to out: inout ChunkBuffer) {
        let writer = DoubleWriter()
        out.append("[")
        for index in values.indices {
            out.reserve(NumberFormat.maxLength + 1)
            if index > 0 { out.append(",") }
            out.advance(by: writer.write(values[index], to: out.cursor))
        }
        out.append("]")
    }

    /// `[n,…],[n,…]`: `rows` rows of `width` values, row-major, in blocks of rows that fill about one chunk,
    /// as many blocks at a time as there are cores.
    static func writeRows(
        _ values: UnsafeBufferPointer<Double>, width: Int, rows: Int, rowBound: Int, to out: inout ChunkBuffer
    ) {
        guard rows > 0 else { return }
        let blockRows = max(1, out.capacity / rowBound)
        let blocks = (rows + blockRows - 1) / blockRows
        let workers = min(blocks, Parallel.cores)
        if workers <= 1 {
            for block in 0..<blocks {
                let first = block * blockRows
                let count = min(blockRows, rows - first)
                out.reserve(count * rowBound)
                out.advance(by: formatRows(values, width: width, rows: first..<first + count, to: out.cursor))
            }
            return
        }
        // One scratch buffer per worker, reused for every round of `workers` blocks.
        let scratchSize = blockRows * rowBound
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchSize * workers)
        defer { scratch.deallocate() }
        var round = 0
        while round < blocks {
            let inRound = min(workers, blocks - round)
            let first = round
            Parallel.forEach(inRound) { slot in
                let start = (first + slot) * blockRows
                let range = start..<min(start + blockRows, rows)
                return formatRows(values, width: width, rows: range, to: scratch + slot * scratchSize)
            } into: { slot, count in
                out.append(UnsafeBufferPointer(start: scratch + slot * scratchSize, count: count))
            }
            round += inRound
        }
    }

    /// Rows `rows` as `[n,…]` each, with a comma before every row but row 0, at `to`; returns the byte count.
    /// `to` has room for `rows.count` rows at their longest.
    static func formatRows(
        _ values: UnsafeBufferPointer<Double>, width: Int, rows: Range<Int>, to start: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let writer = DoubleWriter()
        var cursor = start
        var position = rows.lowerBound * width
        for row in rows {
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
        return cursor - start
    }
}

