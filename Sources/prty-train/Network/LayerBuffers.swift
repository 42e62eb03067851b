/// Per-layer scratch buffers for `rows` rows: activations (index 0 is the input batch) and deltas.
/// Allocated once per fit or evaluation and reused for every batch, so the inner loop allocates nothing.
final class LayerBuffers {
    let activations: [UnsafeMutablePointer<Double>]
    let deltas: [UnsafeMutablePointer<Double>]
    /// Room for one layer's weights, transposed (the kernels' scratch).
    let scratch: UnsafeMutablePointer<Double>

    init(shape: NetworkShape, rows: Int) {
        activations = shape.sizes.map { size in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(rows * size, 1))
            buffer.initialize(repeating: 0, count: max(rows * size, 1))
            return buffer
        }
        deltas = shape.sizes.map { size in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(rows * size, 1))
            buffer.initialize(repeating: 0, count: max(rows * size, 1))
            return buffer
        }
        let largest = (0..<shape.layerCount).map { shape.sizes[$0] * shape.sizes[$0 + 1] }.max() ?? 1
        scratch = .allocate(capacity: max(largest, 1))
        scratch.initialize(repeating: 0, count: max(largest, 1))
    }

    deinit {
        for buffer in activations { buffer.deallocate() }
        for buffer in deltas { buffer.deallocate() }
        scratch.deallocate()
    }
}
