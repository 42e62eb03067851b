/// Least-significant-digit radix sorts on the flat buffers of the tree builder.
enum ForestRadixSort {
    /// Sorts `count` (key, payload) pairs by key, stably, 8 bits a pass (the buckets stay in the L1 cache),
    /// skipping passes where every key has the same digit. Returns the buffers that hold the result (the inputs or the temporaries).
    static func pairs(
        keys: UnsafeMutablePointer<UInt64>, payload: UnsafeMutablePointer<Int32>,
        keysTmp: UnsafeMutablePointer<UInt64>, payloadTmp: UnsafeMutablePointer<Int32>,
        count n: Int
    ) -> (keys: UnsafeMutablePointer<UInt64>, payload: UnsafeMutablePointer<Int32>) {
        var sourceKeys = keys
        var sourcePayload = payload
        var targetKeys = keysTmp
        var targetPayload = payloadTmp
        let buckets = UnsafeMutablePointer<Int>.allocate(capacity: 256)
        defer { buckets.deallocate() }
        for shift in stride(from: 0, to: 64, by: 8) {
            buckets.initialize(repeating: 0, count: 256)
            for index in 0..<n { buckets[Int((sourceKeys[index] >> UInt64(shift)) & 0xFF)] &+= 1 }
            if buckets[Int((sourceKeys[0] >> UInt64(shift)) & 0xFF)] == n { continue }
            var total = 0
            for digit in 0..<256 {
                let size = buckets[digit]
                buckets[digit] = total
                total += size
            }
            for index in 0..<n {
                let key = sourceKeys[index]
                let digit = Int((key >> UInt64(shift)) & 0xFF)
                let slot = buckets[digit]
                buckets[digit] = slot + 1
                targetKeys[slot] = key
                targetPayload[slot] = sourcePayload[index]
            }
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayload, &targetPayload)
        }
        return (sourceKeys, sourcePayload)
    }
}
