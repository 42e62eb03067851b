import Shared

/// `prty-train`: the federated-learning node's model work. `fit` (the default) trains on a Dataset and writes
/// a model update; `aggregate`, `evaluate` and `predict` complete a round in a shell pipe.
@main
enum Train {
    static let command = Command(
        "prty-train", summary: "train, aggregate, evaluate and apply federated-learning models",
        examples: [
            "prty-fetch CID | prty-partition --task task.json | prty-train --task task.json > update.json",
            "prty-train aggregate update-*.json > global.json",
            "prty-train evaluate --model global.json < test.json",
            "prty-train simulate --task task.json --participants 3 --rounds 3 < dataset.json",
        ],
        subcommands: [Fit.command, Aggregate.command, Evaluate.command, Predict.command, Simulate.command],
        defaultSubcommand: "fit",
        discussion: """
            Models: neural_network (MLP, softmax or linear output), linear_regression, random_forest. \
            Documents (Dataset, model update, aggregate) are described in docs/formats.md; output is deterministic \
            for a given input and seed, except timing fields and differential-privacy noise.
            """)

    static func main() async {
        await Tool.run(command) { invocation in
            switch invocation.subcommand.first {
            case "aggregate": try Aggregate(invocation).run()
            case "evaluate": try Evaluate(invocation).run()
            case "predict": try Predict(invocation).run()
            case "simulate": try Simulate(invocation).run()
            default: try Fit(invocation).run()
            }
        }
    }
}
