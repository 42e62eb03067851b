import Foundation
import Shared
import TestSupport
import Testing

/// `prty-train simulate` through the built binary: one JSON report on stdout, usage errors exit 64.
struct SimulateEndToEndTests {
    init() { signal(SIGPIPE, SIG_IGN) }

    @Test func aSessionOfTwoRoundsReportsEachRound() throws {
        let data = TrainEndToEndTests.blobs(rows: 300)
        let result = try runTool(
            "prty-train",
            [
                "simulate", "--task", TrainEndToEndTests.nnTask, "--participants", "3", "--rounds", "2", "--alpha",
                "0.5",
            ],
            stdin: data)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONParser.parse(Array(result.stdout))
        #expect(report["format"] == "prty.simulation/1")
        #expect(report["participants"] == 3)
        #expect(report["rounds"]?.arrayValue?.count == 2)
        #expect((report["rounds"]?.arrayValue?[1]["federated"]?["accuracy"]?.doubleValue ?? 0) > 0.8)
        #expect(result.stderr.contains("round 2: federated accuracy"))
    }

    @Test func badArgumentsExit64() throws {
        let data = TrainEndToEndTests.blobs(rows: 30)
        for arguments in [
            ["simulate", "--task", TrainEndToEndTests.nnTask, "--participants", "0"],
            ["simulate", "--task", TrainEndToEndTests.nnTask, "--holdout", "0"],
            ["simulate", "--task", TrainEndToEndTests.nnTask, "--strategy", "nonsense"],
        ] {
            let result = try runTool("prty-train", arguments, stdin: data)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("prty-train: "))
        }
    }
}
