import Foundation
import Testing
@testable import Shared

/// `--task FILE|JSON`: a server Task or its bare FL config, unknown keys refused by name, typed getters that name
/// section and key, and the session seed that docs/federated-learning.md §1 derives.
struct TaskConfigTests {
    func config(_ text: String) throws -> TaskConfig { try TaskConfig(document: try JSONParser.parse(text)) }

    func usageMessage(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as UsageError {
            return error.message
        } catch {
            return "not a UsageError: \(error)"
        }
    }

    @Test func taskAndBareConfigReadTheSame() throws {
        let bare = try config(#"{"session_id": "s-1", "round_id": "r-2", "seed": 7}"#)
        let task = try config(#"{"id": "t", "type": "federated_learning", "#
            + #""config": {"session_id": "s-1", "round_id": "r-2", "seed": 7}}"#)
        #expect(bare.values == task.values)
        #expect(task.sessionID == "s-1")
        #expect(task.roundID == "r-2")
        #expect(try task.sessionSeed() == 7)
    }

    @Test func taskOfAnotherTypeOrWithoutAnObjectConfigIsRefused() {
        #expect(usageMessage { _ = try config(#"{"id": "t", "type": "command", "config": {}}"#) }
            == "the task is of type 'command', not federated_learning")
        #expect(usageMessage { _ = try config(#"{"id": "t", "config": [1]}"#) }
            == "the task's config must be an object")
        #expect(usageMessage { _ = try config("[1]") } == "the task must be a JSON object, got an array")
    }

    @Test func unknownTopLevelKeysAreListed() throws {
        let said = try #require(usageMessage { _ = try config(#"{"session_id": "s", "epochs": 3}"#) })
        #expect(said == "unknown key 'epochs' in the task config; known keys: "
            + TaskConfig.topLevelKeys.joined(separator: ", "))
        #expect(said.contains("train_config"))
    }

    @Test func sectionsRefuseUnknownKeys() throws {
        let task = try config(#"{"partition_config": {"strategy": "random", "parts": 3}}"#)
        #expect(usageMessage { _ = try task.section("partition_config", known: ["strategy", "total_parts"]) }
            == "unknown key 'parts' in partition_config; known keys: strategy, total_parts")
        let missing = try task.section("train_config", known: ["epochs"])
        #expect(missing.values.isEmpty)
        #expect(!missing.has("epochs"))
        let wrongType = try config(#"{"train_config": [1]}"#)
        #expect(usageMessage { _ = try wrongType.section("train_config", known: []) }
            == "train_config must be an object, got an array")
    }

    @Test func typedGettersNameSectionAndKey() throws {
        let section = try config("""
            {"train_config": {"epochs": "5", "batch_size": 0, "learning_rate": "fast", "lr2": 5,
             "momentum": 2.5, "adam": 1, "optimizer": "rmsprop", "name": 3, "steps": 2.5, "big": 1e300,
             "ok_int": 4.0, "ok_double": 0.25, "ok_flag": true, "gone": null}}
            """).section("train_config", known: ["epochs", "batch_size", "learning_rate", "lr2", "momentum", "adam",
                                                 "optimizer", "name", "steps", "big", "ok_int", "ok_double", "ok_flag",
                                                 "gone"])
        #expect(usageMessage { _ = try section.int("epochs") } == #"train_config.epochs must be an integer, got "5""#)
        #expect(usageMessage { _ = try section.int("steps") } == "train_config.steps must be an integer, got 2.5")
        #expect(usageMessage { _ = try section.int("big") } == "train_config.big must be an integer, got 1e300")
        #expect(usageMessage { _ = try section.int("batch_size", in: 1...4096) }
            == "train_config.batch_size must be in 1...4096, got 0")
        #expect(usageMessage { _ = try section.double("learning_rate") }
            == #"train_config.learning_rate must be a number, got "fast""#)
        #expect(usageMessage { _ = try section.double("momentum", in: 0...1) }
            == "train_config.momentum must be in [0.0, 1.0], got 2.5")
        #expect(usageMessage { _ = try section.bool("adam") } == "train_config.adam must be true or false, got 1")
        #expect(usageMessage { _ = try section.string("optimizer", choices: ["sgd", "adam"]) }
            == "train_config.optimizer must be one of sgd, adam, got 'rmsprop'")
        #expect(usageMessage { _ = try section.string("name") } == "train_config.name must be a string, got 3")
        #expect(try section.int("ok_int") == 4)
        #expect(try section.double("lr2") == 5)
        #expect(try section.double("ok_double") == 0.25)
        #expect(try section.bool("ok_flag") == true)
        #expect(try section.int("gone") == nil)  // null is absent
        #expect(try section.int("absent") == nil)
        #expect(!section.has("gone"))
    }

    @Test func explicitSeedWins() throws {
        #expect(try config(#"{"seed": 42, "session_id": "abc"}"#).sessionSeed() == 42)
        #expect(try config(#"{"seed": 18446744073709551615}"#).sessionSeed() == UInt64.max)
        #expect(try config(#"{"seed": 0, "session_id": "abc"}"#).sessionSeed() == 0)
        #expect(try config(#"{"seed": null, "session_id": "abc"}"#).sessionSeed() == 0xBA78_16BF_8F01_CFEA)
    }

    @Test func seedDerivesFromTheSessionID() throws {
        // SHA-256("abc") = ba7816bf8f01cfea 414140de…: the first 8 bytes, big-endian.
        #expect(try config(#"{"session_id": "abc"}"#).sessionSeed() == 0xBA78_16BF_8F01_CFEA)
        #expect(try config(#"{"session_id": "abc"}"#).sessionSeed() == 13_436_514_500_253_700_074)
        // SHA-256("") = e3b0c44298fc1c14 9afbf4c8…
        #expect(try config(#"{"session_id": ""}"#).sessionSeed() == 0xE3B0_C442_98FC_1C14)
        #expect(try config("{}").sessionSeed() == 0)
    }

    @Test func badSeedsAreRefused() {
        let cases = [("-1", "-1"), ("1.5", "1.5"), ("\"42\"", "\"42\""),
                     ("18446744073709551616", "18446744073709551616")]
        for (text, shown) in cases {
            #expect(usageMessage { _ = try config(#"{"seed": \#(text)}"#).sessionSeed() }
                == "seed must be a non-negative integer, got \(shown)")
        }
    }

    @Test func loadsInlineJSONAndFiles() throws {
        #expect(try TaskConfig.load(#"  {"session_id": "inline"}"#).sessionID == "inline")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prty-task-\(getpid()).json").path
        try Data(#"{"id": "t", "type": "federated_learning", "config": {"session_id": "file"}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try TaskConfig.load(path).sessionID == "file")
        #expect(usageMessage { _ = try TaskConfig.load("/nonexistent/task.json") }
            == "no task file at /nonexistent/task.json (give a path or inline JSON)")
        let said = try #require(usageMessage { _ = try TaskConfig.load(#"{"session_id": }"#) })
        #expect(said.hasPrefix("task: malformed JSON at line 1, column 16"))
    }
}
