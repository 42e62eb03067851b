extension SeededRandom {
    /// Fisher–Yates in its forward form: for i in 0..<n−1, swap element i with one drawn from i..<n
    /// (`i + nextInt(below: n − i)`). Going forward, the first k elements are final after k steps, so
    /// `shuffleRows(_:prefix: k)` gives exactly the first k elements of the full shuffle — what overlap needs from
    /// a neighbour's part, without shuffling all of it. (Shared's generic `shuffle` goes backward, and compiled in
    /// another module it swaps through value witnesses: a quarter of a 100,000-row run. Here the compiler
    /// specialises this one for `Int` and `Int32`.)
    mutating func shuffleRows<Element>(_ buffer: UnsafeMutableBufferPointer<Element>, prefix: Int? = nil) {
        let count = buffer.count
        guard count > 1 else { return }
        for i in 0..<min(prefix ?? count, count - 1) {
            let j = i + nextInt(below: count - i)
            if i != j { buffer.swapAt(i, j) }
        }
    }

    mutating func shuffleRows<Element>(_ rows: inout [Element], prefix: Int? = nil) {
        rows.withUnsafeMutableBufferPointer { shuffleRows($0, prefix: prefix) }
    }
}
