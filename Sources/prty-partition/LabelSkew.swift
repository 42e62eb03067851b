import Shared

/// `label_skew`: each part gets whole classes. With K classes and P parts (classes in `classes` order, parts in
/// index order):
/// - K ≥ P: part j gets a contiguous run of ⌊K/P⌋ classes, the first K mod P parts one class more;
/// - K < P: class c gets a contiguous run of ⌊P/K⌋ parts, the first P mod K classes one part more, and its rows
///   (shuffled) are split evenly between them.
/// So every class belongs to some part and every part gets a class — the original gave every part class 0 when
/// K < P and left the K mod P leftover classes to nobody (ORIGINAL-FL.md §9.7).
enum LabelSkew {
    static func assign(_ classRows: [[Int]], parts: Int, using random: inout SeededRandom) -> [[Int]] {
        let classes = classRows.count
        var result = [[Int]](repeating: [], count: parts)
        guard classes > 0 else { return result }
        if classes >= parts {
            for (part, group) in groups(of: classes, into: parts).enumerated() {
                for klass in group { result[part].append(contentsOf: classRows[klass]) }
            }
        } else {
            for (klass, group) in groups(of: parts, into: classes).enumerated() {
                var rows = classRows[klass]
                random.shuffle(&rows)
                for (slice, part) in zip(Strategy.slices(rows, parts: group.count), group) {
                    result[part] = slice
                }
            }
        }
        return result
    }

    /// `0..<count` cut into `groups` contiguous ranges, the first `count % groups` one longer.
    static func groups(of count: Int, into groups: Int) -> [Range<Int>] {
        let base = count / groups, extra = count % groups
        var start = 0
        return (0..<groups).map { group in
            let size = base + (group < extra ? 1 : 0)
            defer { start += size }
            return start..<start + size
        }
    }

    /// The classes part `part` holds (for messages and stats).
    static func classes(ofPart part: Int, classes: Int, parts: Int) -> Range<Int> {
        guard classes > 0 else { return 0..<0 }
        if classes >= parts { return groups(of: classes, into: parts)[part] }
        let owner = groups(of: parts, into: classes).firstIndex { $0.contains(part) } ?? 0
        return owner..<owner + 1
    }
}
