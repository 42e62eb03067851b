import Shared
import Testing

@testable import prty_train

struct TrainCommandTests {
    @Test func declarationIsComplete() {
        #expect(Train.command.name == "prty-train")
        #expect(!Train.command.examples.isEmpty)
        #expect(Train.command.defaultSubcommand == "fit")
        #expect(Train.command.subcommands.map(\.name) == ["fit", "aggregate", "evaluate", "predict", "simulate"])
        for sub in Train.command.subcommands { #expect(!sub.examples.isEmpty, "\(sub.name) has no example") }
    }

    @Test func flagsOverrideSingleFields() throws {
        let outcome = try Arguments.parse(
            [
                "--task", "{}", "--model-type", "neural_network", "--hidden-sizes", "16, 8", "--epochs", "3",
                "--batch-size", "4", "--learning-rate", "0.5", "--optimizer", "adam", "--seed", "18446744073709551615",
                "--validation-fraction", "0.1",
            ],
            for: Train.command)
        let arguments = try #require(outcome.run, "expected a run, got \(outcome)")
        let task = try Fit.applyFlags(arguments, to: .empty)
        let config = try TrainConfig(task, caps: .defaults)
        let network = try #require(config.network, "expected a neural network, got \(config.modelType)")
        #expect(network.hidden == [16, 8])
        #expect(network.training.epochs == 3 && network.training.batchSize == 4)
        #expect(network.training.optimizer.kind == .adam && network.training.optimizer.learningRate == 0.5)
        #expect(config.seed == UInt64.max)
        #expect(config.validationFraction == 0.1)
    }

    @Test(arguments: [
        ["--hidden-sizes", "16,x"], ["--epochs", "0"], ["--learning-rate", "2"], ["--seed", "-1"],
        ["--optimizer", "lbfgs"], ["--validation-fraction", "0.95"],
    ])
    func badFlagValuesAreUsageErrors(words: [String]) throws {
        do {
            let outcome = try Arguments.parse(words, for: Train.command)
            let arguments = try #require(
                outcome.run, "\(words) parsed as \(outcome), not as a run whose flag values fit could refuse")
            _ = try Fit.applyFlags(arguments, to: .empty)
            Issue.record("\(words) was accepted")
        } catch let error as UsageError {
            #expect(error.message.contains(words[0]) || error.message.contains(words[1]))
        }
    }
}
