/// The dense-layer kernels of the neural network, over raw row-major buffers. They allocate nothing, and every
/// sum is taken in one fixed order (blocks of four, then the rest), so the same inputs give the same bits on
/// every run. The innermost loops run over contiguous memory so the compiler vectorises them; a narrow layer
/// (fewer than `narrow` outputs, such as a 3-class output layer) goes through its transposed weights instead,
/// so the long dimension is the inner one there too.
enum Dense {
    /// Below this many outputs a layer counts as narrow.
    static let narrow = 8

    /// `out[r×n] = input[r×k] · weights[k×n] + bias[n]` (`bias` nil: no bias). `scratch` must hold k × n values.
    static func forward(
        _ input: UnsafePointer<Double>, rows: Int, inputs k: Int,
        weights: UnsafePointer<Double>, bias: UnsafePointer<Double>?, outputs n: Int,
        into out: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        if n < narrow {
            transpose(weights, rows: k, columns: n, into: scratch)
            for row in 0..<rows {
                let a = input + row * k
                let o = out + row * n
                for j in 0..<n { o[j] = (bias?[j] ?? 0) + dot(a, scratch + j * k, count: k) }
            }
            return
        }
        for row in 0..<rows {
            let o = out + row * n
            if let bias { o.update(from: bias, count: n) } else { o.update(repeating: 0, count: n) }
            axpy4(input + row * k, count: k, weights, width: n, into: o)
        }
    }

    /// `o[n] += Σ_p a[p] · w[p×n]`, four rows of `w` at a time.
    @inline(__always)
    private static func axpy4(
        _ a: UnsafePointer<Double>, count k: Int, _ weights: UnsafePointer<Double>, width n: Int,
        into o: UnsafeMutablePointer<Double>
    ) {
        var p = 0
        while p + 4 <= k {
            addFourRows(a[p], a[p + 1], a[p + 2], a[p + 3], of: weights + p * n, width: n, into: o)
            p += 4
        }
        while p < k {
            addRow(a[p], of: weights + p * n, width: n, into: o)
            p += 1
        }
    }

    /// `max(0, x)` in place.
    static func relu(_ values: UnsafeMutablePointer<Double>, count: Int) {
        for index in 0..<count where !(values[index] > 0) { values[index] = 0 }
    }

    /// `gradient[k×n] += input[r×k]ᵀ · delta[r×n]` and `biasGradient[n] += Σ_rows delta`. `scratch` must hold
    /// k × n values.
    static func accumulateGradients(
        _ input: UnsafePointer<Double>, rows: Int, inputs k: Int,
        delta: UnsafePointer<Double>, outputs n: Int,
        weightGradient: UnsafeMutablePointer<Double>, biasGradient: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Double>
    ) {
        if n < narrow {
            // Transposed: scratch[n×k] = deltaᵀ · input, row by row of the batch, then added in transposed.
            scratch.update(repeating: 0, count: n * k)
            var row = 0
            while row + 4 <= rows {
                let d = delta + row * n
                for j in 0..<n {
                    addFourRows(
                        d[j], d[n + j], d[2 * n + j], d[3 * n + j], of: input + row * k, width: k,
                        into: scratch + j * k)
                }
                row += 4
            }
            while row < rows {
                for j in 0..<n { addRow(delta[row * n + j], of: input + row * k, width: k, into: scratch + j * k) }
                row += 1
            }
            for p in 0..<k {
                for j in 0..<n { weightGradient[p * n + j] += scratch[j * k + p] }
            }
        } else {
            for p in 0..<k {
                let g = weightGradient + p * n
                var row = 0
                while row + 4 <= rows {
                    let a0 = input[row * k + p]
                    let a1 = input[(row + 1) * k + p]
                    let a2 = input[(row + 2) * k + p]
                    let a3 = input[(row + 3) * k + p]
                    if a0 != 0 || a1 != 0 || a2 != 0 || a3 != 0 {  // ReLU outputs are often zero four at a time
                        addFourRows(a0, a1, a2, a3, of: delta + row * n, width: n, into: g)
                    }
                    row += 4
                }
                while row < rows {
                    addRow(input[row * k + p], of: delta + row * n, width: n, into: g)
                    row += 1
                }
            }
        }
        var row = 0
        while row + 4 <= rows {
            let d0 = delta + row * n
            let d1 = d0 + n
            let d2 = d1 + n
            let d3 = d2 + n
            for j in 0..<n { biasGradient[j] += d0[j] + d1[j] + d2[j] + d3[j] }
            row += 4
        }
        while row < rows {
            let d0 = delta + row * n
            for j in 0..<n { biasGradient[j] += d0[j] }
            row += 1
        }
    }

    /// The delta of the layer below through ReLU:
    /// `below[r×k] = (delta[r×n] · weights[k×n]ᵀ) ⊙ 1[activation > 0]`, where `activation[r×k]` is that
    /// layer's ReLU output (so a unit that was off passes no gradient). `scratch` must hold k × n values.
    static func backPropagate(
        _ delta: UnsafePointer<Double>, rows: Int, outputs n: Int,
        weights: UnsafePointer<Double>, activation: UnsafePointer<Double>, inputs k: Int,
        into below: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        transpose(weights, rows: k, columns: n, into: scratch)
        for row in 0..<rows {
            let b = below + row * k
            let h = activation + row * k
            b.update(repeating: 0, count: k)
            axpy4(delta + row * n, count: n, scratch, width: k, into: b)
            for p in 0..<k where !(h[p] > 0) { b[p] = 0 }
        }
    }

    /// `out[columns×rows] = matrix[rows×columns]ᵀ`.
    static func transpose(
        _ matrix: UnsafePointer<Double>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>
    ) {
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = matrix[r * columns + c] }
        }
    }

    /// `o[n] += a0·w[0] + a1·w[1] + a2·w[2] + a3·w[3]` over four consecutive `n`-wide rows of `w`, summed in
    /// this order: the inner step of `axpy4` and of both weight-gradient kernels.
    @inline(__always)
    private static func addFourRows(
        _ a0: Double, _ a1: Double, _ a2: Double, _ a3: Double, of w0: UnsafePointer<Double>, width n: Int,
        into o: UnsafeMutablePointer<Double>
    ) {
        let w1 = w0 + n
        let w2 = w1 + n
        let w3 = w2 + n
        for j in 0..<n { o[j] += a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j] }
    }

    /// `o[n] += a0·w0[n]`: the remainder step after `addFourRows`.
    @inline(__always)
    private static func addRow(
        _ a0: Double, of w0: UnsafePointer<Double>, width n: Int, into o: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n { o[j] += a0 * w0[j] }
    }

    /// Σ x[i]·y[i] with four running sums (fixed order), so long rows vectorise.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
        var s0 = 0.0
        var s1 = 0.0
        var s2 = 0.0
        var s3 = 0.0
        var i = 0
        while i + 4 <= count {
            s0 += x[i] * y[i]
            s1 += x[i + 1] * y[i + 1]
            s2 += x[i + 2] * y[i + 2]
            s3 += x[i + 3] * y[i + 3]
            i += 4
        }
        while i < count {
            s0 += x[i] * y[i]
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }
}
