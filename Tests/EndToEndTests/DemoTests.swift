import Foundation
import Testing
import TestSupport

/// `make demo`'s script on a slice of the embedded dataset, so the first thing a newcomer runs cannot rot.
struct DemoTests {
    @Test func demoRunsOnASliceAndReportsEveryStep() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("prty-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try runProcess(
            Paths.root.appendingPathComponent("examples/demo.sh"), [out.path],
            environment: ["PRTY_BIN_DIR": Paths.binaries.path, "DEMO_ROWS": "600"], timeout: 600)
        #expect(result.status == 0, "demo failed: \(result.stderr)")
        let text = result.stdoutText
        for step in ["1. Publish", "2. Split off", "3. Neural network, round 1", "4. Neural network, round 2",
                     "5. Random forest", "Summary"] {
            #expect(text.contains(step), "missing step \(step)")
        }
        // Every participant's update and every evaluation exists and is a sane document.
        for model in ["nn", "forest"] {
            for round in 1...2 {
                let evaluation = try JSONSerialization.jsonObject(
                    with: Data(contentsOf: out.appendingPathComponent("\(model)-round-\(round)-eval.json")))
                let accuracy = try #require((evaluation as? [String: Any])?["accuracy"] as? Double)
                #expect(accuracy > 0.5, "\(model) round \(round) test accuracy \(accuracy) is too low for digits")
                for part in 0..<3 {
                    let update = out.appendingPathComponent("\(model)-round-\(round)-part-\(part).json")
                    #expect(FileManager.default.fileExists(atPath: update.path))
                }
            }
        }
        #expect(!text.contains("null%"), "a summary figure was missing")
    }
}
