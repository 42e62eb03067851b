import Foundation
import Shared
import TestSupport
import Testing

/// `make demo` (examples/node-demo.sh) on a slice of the embedded dataset: the chain and the stake, the coordinator
/// double, three nodes, command/docker/LLM tasks and two FL rounds; then that nothing it started is still running,
/// that a second run in a row works, and that Ctrl-C stops everything (nodes unregister, no mount left).
@Suite(.serialized)
struct NodeDemoTests {
    static let script = Paths.root.appendingPathComponent("examples/node-demo.sh")

    static func environment(_ extra: [String: String] = [:]) throws -> [String: String] {
        [
            "PRTY_BIN_DIR": try Paths.binaries.path, "PRTY_PYTHON": PeerLaunch.python.path, "DEMO_ROWS": "450",
            "DEMO_NUM_PREDICT": "12",
        ].merging(extra) { $1 }
    }

    static func json(_ url: URL) throws -> JSON { try JSONParser.parse([UInt8](Data(contentsOf: url))) }

    /// The `name pid` lines the demo recorded: every process it started.
    static func startedPIDs(_ out: URL) throws -> [(String, Int32)] {
        let text = try String(contentsOf: out.appendingPathComponent("pids.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, let pid = Int32(fields[1]) else { return nil }
            return (String(fields[0]), pid)
        }
    }

    static func expectNothingLeft(_ out: URL) throws {
        let started = try startedPIDs(out)
        #expect(started.count >= 5, "pids.txt: \(started)")  // chain, coordinator, LLM, three nodes (+ dockerd)
        for (name, pid) in started {
            // Gone, or at most a zombie of the (finished) script that nobody reaps yet.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first ?? ""
            #expect(stat.isEmpty || state == "Z", "\(name) (pid \(pid)) is still running")
        }
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        let dockerDir =
            (try? String(contentsOf: out.appendingPathComponent("docker-dir.txt"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !dockerDir.isEmpty {
            #expect(!mounts.contains(dockerDir), "a mount under \(dockerDir) was left")
            #expect(!FileManager.default.fileExists(atPath: dockerDir), "\(dockerDir) was left")
        }
    }

    @Test func demoRunsTwiceInARowAndLeavesNothing() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("prty-node-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        for run in 1...2 {
            let result = try runProcess(Self.script, [out.path], environment: try Self.environment(), timeout: 600)
            #expect(result.status == 0, "run \(run) failed: \(result.stderr)\n\(result.stdoutText)")
            let text = result.stdoutText
            for step in [
                "1. A local chain", "2. A local coordinator", "3. The nodes' engines and three nodes",
                "4. Tasks", "Summary", "prty-wallet auth", "stand-in for a Parity server",
                "prty-fetch add", "prty-runner status (demo-node-1)", "registered",
            ] {
                #expect(text.contains(step), "run \(run): missing \(step)\n\(text)")
            }
            #expect(!text.contains("SKIPPED"), "run \(run): a step was skipped\n\(text)")
            #expect(!text.contains("null"), "run \(run): a figure was missing\n\(text)")

            // The stake: 10 PRTY under each node's device id, read back from the chain by prty-wallet balance.
            let balance = try Self.json(out.appendingPathComponent("wallet/balance-after.json"))
            #expect(balance["stake"]?["exists"]?.boolValue == true, "\(balance.serialized())")
            #expect(balance["stake"]?["amount"]?["base_units"]?.stringValue == "10000000000000000000")
            for node in 1...3 {
                let stake = try Self.json(out.appendingPathComponent("wallet/stake-node-\(node).json"))
                #expect(stake["base_units"]?.stringValue == "10000000000000000000")
                #expect(stake["device_id"]?.stringValue == "demo-node-\(node)")
            }

            // Command and docker tasks: exit 0 with their output; the docker one ran under the task's 64m limit.
            let command = try Self.json(out.appendingPathComponent("command.json"))
            #expect(command["ok"]?.boolValue == true, "\(command.serialized())")
            #expect(command["output"]?.stringValue?.contains("hello from a prty node") == true)
            let docker = try Self.json(out.appendingPathComponent("docker.json"))
            #expect(docker["ok"]?.boolValue == true, "\(docker.serialized())")
            #expect(docker["output"]?.stringValue?.contains("hello from busybox") == true, "\(docker.serialized())")
            #expect(docker["output"]?.stringValue?.contains("memory limit 67108864") == true, "\(docker.serialized())")

            // The LLM: a real answer with the backend's own token counts.
            let llm = try Self.json(out.appendingPathComponent("llm.json"))
            #expect(llm["ok"]?.boolValue == true, "\(llm.serialized())")
            let answer = llm["response"]?.stringValue ?? ""
            #expect(!answer.trimmingCharacters(in: .whitespaces).isEmpty)
            #expect((llm["prompt_tokens"]?.intValue ?? 0) >= 5, "\(llm.serialized())")
            let responseTokens = llm["response_tokens"]?.intValue ?? 0
            #expect(responseTokens >= 1 && responseTokens <= 12, "\(llm.serialized())")

            // FL: two rounds of three updates, round 2 from round 1's global model, both evaluated on the test set.
            let session = try Self.json(out.appendingPathComponent("fl-session.json"))
            #expect(session["status"]?.stringValue == "completed")
            #expect(session["rounds"]?.intValue == 2)
            #expect(session["round_2_carried_global_model"]?.boolValue == true)
            let updates = session["updates"]?.arrayValue ?? []
            #expect(updates.count == 6)
            #expect(
                Set(updates.compactMap { $0["runner_id"]?.stringValue }) == [
                    "demo-node-1", "demo-node-2", "demo-node-3",
                ])
            for round in 1...2 {
                let evaluation = try Self.json(out.appendingPathComponent("fl-round-\(round)-eval.json"))
                let accuracy = evaluation["accuracy"]?.doubleValue ?? 0
                #expect(accuracy > 0.5, "round \(round) global test accuracy \(accuracy) is too low for digits")
                #expect((evaluation["samples"]?.intValue ?? 0) >= 50)
            }

            // Every node served tasks, all of them succeeded, and all three were registered by the wallet's address.
            let report = try Self.json(out.appendingPathComponent("tasks.json"))
            let tasks = report["tasks"]?.arrayValue ?? []
            #expect(tasks.count == 9, "\(report.serialized())")  // command, docker, llm, 2 × 3 FL
            #expect(tasks.allSatisfy { $0["ok"]?.boolValue == true }, "\(report.serialized())")
            let address = try Self.json(out.appendingPathComponent("wallet/balance-before.json"))["address"]?
                .stringValue
            for node in 1...3 {
                #expect(text.contains("demo-node-\(node):"))
                #expect(
                    report["runners"]?["demo-node-\(node)"]?["wallet_address"]?.stringValue?.lowercased()
                        == address?.lowercased())
            }
            for node in 1...3 {
                let log = try String(contentsOf: out.appendingPathComponent("logs/node-\(node).log"), encoding: .utf8)
                #expect(log.contains("unregistered; bye"), "node \(node) did not unregister:\n\(log.suffix(1500))")
            }
            try Self.expectNothingLeft(out)
        }
    }

    @Test func ctrlCStopsEverything() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("prty-node-demo-int-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        // A session of its own (setsid --wait returns the script's status), so that the terminal's Ctrl-C — SIGINT
        // to the whole foreground group — can be sent to it.
        // SIGINT as a terminal leaves it: the test process may have it ignored, which a shell cannot undo.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal=INT", "/usr/bin/setsid", "--wait", Self.script.path, out.path]
        process.environment = ProcessInfo.processInfo.environment.merging(try Self.environment(["DEMO_LLM": "off"])) {
            $1
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("prty-node-demo-int-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the three nodes are up (during the tasks step).
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && process.isRunning {
            let registered = (1...3).allSatisfy { node in
                let status = try? Self.json(out.appendingPathComponent("node-\(node)/state/status.json"))
                return status?["registered"]?.boolValue == true
            }
            if registered { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(process.isRunning, "the demo ended before its nodes registered")
        let script = try #require(try Self.startedPIDs(out).first { $0.0 == "script" }?.1)
        let group = getpgid(script)
        #expect(group == script, "the demo is not in a process group of its own")
        let signals =
            (try? String(contentsOfFile: "/proc/\(script)/status", encoding: .utf8))?
            .split(separator: "\n").filter { $0.hasPrefix("Sig") }.joined(separator: " ") ?? ""
        kill(-group, SIGINT)
        let stopBy = Date().addingTimeInterval(90)
        while process.isRunning && Date() < stopBy { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "the demo did not stop within 90 s of Ctrl-C")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("demo: interrupted; everything it started is stopped"), "\(text)")
        #expect(process.terminationStatus == 130, "\(signals)\n\(text)")
        try Self.expectNothingLeft(out)
        for node in 1...3 {
            let log = try String(contentsOf: out.appendingPathComponent("logs/node-\(node).log"), encoding: .utf8)
            #expect(log.contains("unregistered; bye"), "node \(node) did not unregister:\n\(log.suffix(1500))")
        }
    }
}
