/// A fixed buffer that hands its bytes to a sink when the next piece might not fit: how `DatasetWriter` streams
/// a document of any size through a few hundred kilobytes.
///
/// Writers ask for room first (`reserve`), then write at `cursor` and `advance`; a piece larger than the whole
/// buffer (`append` of a long block) goes to the sink directly, after what is buffered. Not copyable: one owner,
/// which calls `flush` at the end; the memory goes with the value.
struct ChunkBuffer: ~Copyable {
    let capacity: Int
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var cursor: UnsafeMutablePointer<UInt8>
    private let sink: (UnsafeBufferPointer<UInt8>) -> Void

    init(capacity: Int, sink: @escaping (UnsafeBufferPointer<UInt8>) -> Void) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        cursor = base
        self.sink = sink
    }

    /// Bytes buffered and not yet handed on.
    var count: Int { cursor - base }

    /// Makes room for `bytes` (at most `capacity`) at `cursor`, handing on what is buffered if need be.
    @inline(__always)
    mutating func reserve(_ bytes: Int) {
        if capacity - count < bytes { flush() }
    }

    /// Moves `cursor` past `bytes` just written there (within the room reserved).
    @inline(__always)
    mutating func advance(by bytes: Int) { cursor += bytes }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if bytes.count > capacity - count {
            flush()
            if bytes.count > capacity {
                sink(bytes)
                return
            }
        }
        cursor.initialize(from: source, count: bytes.count)
        cursor += bytes.count
    }

    /// Hands what is buffered to the sink.
    mutating func flush() {
        guard count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        cursor = base
    }

    deinit { base.deallocate() }
}
