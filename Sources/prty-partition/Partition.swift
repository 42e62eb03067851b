import Shared

/// `prty-partition`: one participant's part of a shared dataset, computed from one seed so that the parts of all
/// participants are disjoint and cover the data (docs/federated-learning.md §3, with what the original got wrong).
@main
enum Partition {
    static let command = Command(
        "prty-partition", summary: "split a Dataset into disjoint parts from one seed and write one part",
        options: [
            Option(
                "task", value: .single("FILE|JSON"),
                help: "FL task (or its config): reads partition_config and the seed", completion: .file),
            Option(
                "strategy", value: .single("NAME"),
                help: "random (iid), stratified, sequential, non_iid (dirichlet), label_skew; default random",
                completion: .choices(Strategy.names)),
            Option("parts", value: .single("N"), help: "total_parts: how many parts (default 1)"),
            Option("index", value: .single("I"), help: "part_index: which part to write, 0...N-1 (default 0)"),
            Option("alpha", value: .single("A"), help: "Dirichlet concentration for non_iid (> 0; lower = more skew)"),
            Option(
                "min-samples", value: .single("N"),
                help: "min_samples: least rows every part must get, else an error (default 0)"),
            Option(
                "overlap", value: .single("R"),
                help: "overlap_ratio in [0, 1]: part i also gets the first floor(R*|part i+1|) rows of part i+1"),
            Option("self-balancing", help: "non_iid: stop giving rows to parts above the average size (Flower's)"),
            Option(
                "seed", value: .single("N"),
                help: "the seed (default: the task's seed, else SHA-256 of its session_id, else 0)"),
            Option(
                "holdout", value: .single("FRACTION"),
                help: "hold out this fraction as a test set (stratified) before partitioning"),
            Option(
                "take", value: .single("train|test"),
                help: "write a training part (default) or the held-out test set",
                completion: .choices(Take.allCases.map(\.rawValue))),
            Option("stats", help: "print every part's size, class counts and skew (JSON) instead of the data"),
            Option("human", help: "print those stats as a table for people"),
        ],
        examples: [
            "prty-partition --strategy stratified --parts 3 --index 0 --seed 42 < iris.json > part0.json",
            "prty-partition --task task.json < dataset.json | prty-train --task task.json",
            "prty-partition --strategy non_iid --alpha 0.3 --parts 10 --stats --human < dataset.json",
            "prty-partition --holdout 0.2 --take test --seed 42 < dataset.json > test.json",
        ],
        discussion: """
            Reads a Dataset document (or a plain {"features", "labels"} object) on stdin and writes part \
            part_index of total_parts as a Dataset whose "partition" object records how it was made, with every \
            part's size and class counts. Flags override the task's partition_config.

            Every participant computes the same assignment from the seed and keeps its own part, so with \
            overlap 0 the parts are disjoint and together cover the training set exactly; the same input, \
            configuration and seed give byte-identical output in every round. A --holdout test set is split off \
            (per class) before partitioning and never lands in any part.

            Rows of a part come in a seeded order (input order for sequential), followed by its overlap copies.
            """)

    static func main() async {
        await Tool.run(command) { invocation in
            try PartitionCommand(invocation).run()
        }
    }
}
