/// `label_skew`: each part gets whole classes. With K classes and P parts (classes in `classes` order, parts in
/// index order):
/// - K ≥ P: part j gets a contiguous run of ⌊K/P⌋ classes, the first K mod P parts one class more;
/// - K < P: class c gets a contiguous run of ⌊P/K⌋ parts, the first P mod K classes one part more, and its rows
///   are split evenly (at random) between them.
/// So every class belongs to some part and every part gets a class — the original gave every part class 0 when
/// K < P and left the K mod P leftover classes to nobody (docs/federated-learning.md §3).
enum LabelSkew {
    /// `counts[class][part]` for classes of `classSizes` training rows.
    static func counts(_ classSizes: [Int], parts: Int) -> [[Int]] {
        let classes = classSizes.count
        var counts = classSizes.map { _ in [Int](repeating: 0, count: parts) }
        guard classes > 0 else { return counts }
        if classes >= parts {
            for (part, group) in groups(of: classes, into: parts).enumerated() {
                for klass in group { counts[klass][part] = classSizes[klass] }
            }
        } else {
            for (klass, group) in groups(of: parts, into: classes).enumerated() {
                for (share, part) in zip(Allocation.even(classSizes[klass], into: group.count), group) {
                    counts[klass][part] = share
                }
            }
        }
        return counts
    }

    /// `0..<count` cut into `groups` contiguous ranges, the first `count % groups` one longer.
    static func groups(of count: Int, into groups: Int) -> [Range<Int>] {
        var start = 0
        return Allocation.even(count, into: groups).map { size in
            defer { start += size }
            return start..<start + size
        }
    }

    /// The classes part `part` holds.
    static func classes(ofPart part: Int, classes: Int, parts: Int) -> Range<Int> {
        guard classes > 0 else { return 0..<0 }
        if classes >= parts { return groups(of: classes, into: parts)[part] }
        let owner = groups(of: parts, into: classes).firstIndex { $0.contains(part) } ?? 0
        return owner..<owner + 1
    }
}
