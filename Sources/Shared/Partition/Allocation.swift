/// A strategy's whole decision, as counts: how many rows of each group (a class, or all rows as one group) go to
/// each bucket (a part; for the held-out split: train or test). `deal` then hands the rows out: each group gets a
/// vector of bucket numbers with those counts — in order (contiguous slices of the group in input order) or
/// shuffled by the seed (a uniformly random choice of rows) — and its rows, in input order, take the next entry.
///
/// So a strategy never touches row numbers: it decides counts (cheap, and what the tests check), and one pass deals
/// a million rows. Shuffling a vector of 4-byte bucket numbers per group is also far kinder to the cache than
/// shuffling 8-byte row numbers across the whole dataset.
struct Allocation: Sendable, Equatable {
    /// `counts[group][bucket]`; each group's counts add up to the number of rows it deals.
    var counts: [[Int]]
    /// Whether each group's bucket vector is shuffled (false: contiguous slices in input order).
    var shuffled: Bool

    /// The rows of every bucket: the sum over groups.
    var bucketSizes: [Int] {
        guard let first = counts.first else { return [] }
        var sizes = [Int](repeating: 0, count: first.count)
        for group in counts {
            for (bucket, count) in group.enumerated() { sizes[bucket] += count }
        }
        return sizes
    }

    /// `total` in `buckets` near-equal counts, the first `total % buckets` one larger.
    static func even(_ total: Int, into buckets: Int) -> [Int] {
        let base = total / buckets
        let extra = total % buckets
        return (0..<buckets).map { base + ($0 < extra ? 1 : 0) }
    }

    /// The bucket of every row: rows with `skip[row]` get -1; every other row takes the next entry of its group's
    /// vector (`groupOf[row]`, or group 0 for all rows when `groupOf` is nil), in input order.
    func deal(rows: Int, groupOf: [Int32]?, skip: [Bool]?, using random: inout SeededRandom) -> [Int32] {
        // The narrowest bucket number that fits: for 10 parts a million rows shuffle 1 MB, which stays in the
        // cache, rather than 4 MB. The draws and swaps are the same whatever the width, and so is the result.
        let buckets = counts.first?.count ?? 0
        if buckets <= 1 << 8 { return deal(UInt8.self, rows: rows, groupOf: groupOf, skip: skip, using: &random) }
        if buckets <= 1 << 16 { return deal(UInt16.self, rows: rows, groupOf: groupOf, skip: skip, using: &random) }
        return deal(UInt32.self, rows: rows, groupOf: groupOf, skip: skip, using: &random)
    }

    func deal<Bucket: FixedWidthInteger & UnsignedInteger>(
        _: Bucket.Type, rows: Int, groupOf: [Int32]?, skip: [Bool]?, using random: inout SeededRandom
    ) -> [Int32] {
        // One flat vector, group after group, each a run starting at starts[group].
        var starts = [Int]()
        var total = 0
        for group in counts {
            starts.append(total)
            total += group.reduce(0, +)
        }
        var vector = [Bucket]()
        vector.reserveCapacity(total)
        for (group, groupCounts) in counts.enumerated() {
            for (bucket, count) in groupCounts.enumerated() {
                vector.append(contentsOf: repeatElement(Bucket(bucket), count: count))
            }
            if shuffled {
                vector.withUnsafeMutableBufferPointer { all in
                    random.shuffle(UnsafeMutableBufferPointer(rebasing: all[starts[group]..<all.count]))
                }
            }
        }
        var result = [Int32](repeating: -1, count: rows)
        var next = starts
        let groups = groupOf ?? []
        let skipped = skip ?? []
        result.withUnsafeMutableBufferPointer { result in
            vector.withUnsafeBufferPointer { vector in
                groups.withUnsafeBufferPointer { groups in
                    skipped.withUnsafeBufferPointer { skipped in
                        next.withUnsafeMutableBufferPointer { next in
                            for row in 0..<rows {
                                if !skipped.isEmpty && skipped[row] { continue }
                                let group = groups.isEmpty ? 0 : Int(groups[row])
                                precondition(next[group] < vector.count, "a group deals more rows than its counts")
                                result[row] = Int32(vector[next[group]])
                                next[group] += 1
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
