import Foundation
import Shared
import TestSupport
import Testing

/// Command tasks on the host (the operator's opt-in, RUNNER_COMMAND_SANDBOX=host): a scrubbed environment, a fresh
/// working directory, rlimits that bite, and a timeout that takes the whole process group with it.
@Suite(.serialized)
struct ExecHostCommandTests {
    static func run(_ config: [String: JSON], _ environment: [String: String] = [:]) throws -> (ToolResult, JSON) {
        let task: JSON = ["id": "cmd-1", "type": "command", "nonce": "beef", "config": .object(config)]
        var env = ["RUNNER_COMMAND_SANDBOX": "host", "PARITY_CONFIG_PATH": "/dev/null"]
        for (key, value) in environment { env[key] = value }
        let run = try runTool("prty-exec", [], stdin: Data(task.serialized().utf8), environment: env)
        return (run, (try? JSONParser.parse(run.stdoutText)) ?? .null)
    }

    /// A script in a fresh directory that the unprivileged task user can read.
    static func script(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "prty-script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
        let file = directory.appendingPathComponent("task.sh")
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        return file.path
    }

    @Test func environmentIsScrubbed() throws {
        let (run, result) = try Self.run(
            ["command": "env", "environment": ["TASK_VAR": "visible"]],
            ["PRTY_TEST_SECRET": "s3cret-value", "RUNNER_LLM_API_KEY": "sk-should-not-leak", "PRIVATE_KEY": "0xabc"])
        #expect(run.status == 0, "\(run.stderr)")
        let output = result["output"]?.stringValue ?? ""
        #expect(output.contains("TASK_VAR=visible"))
        #expect(output.contains("TASK_NONCE=beef"))
        #expect(output.contains("PATH=/usr/local/sbin:"))
        for secret in ["s3cret-value", "sk-should-not-leak", "PRIVATE_KEY", "PARITY_CONFIG_PATH", "RUNNER_"] {
            #expect(!output.contains(secret), "\(secret) reached the command")
        }
        #expect(result["exit_code"]?.intValue == 0)
    }

    @Test func freshWorkingDirectoryAsAnUnprivilegedUser() throws {
        let pwd =
            try Self.run(["command": "pwd"]).1["output"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
            ?? ""
        #expect(pwd.contains("/prty-command-"), "\(pwd)")
        #expect(!FileManager.default.fileExists(atPath: pwd), "the working directory is removed afterwards")
        let id = try Self.run(["command": "id -u"]).1["output"]?.stringValue ?? ""
        if getuid() == 0 { #expect(id.hasPrefix("65534"), "root drops to nobody: \(id)") }
    }

    @Test func commandIsSplitOnWhitespaceWithoutAShell() throws {
        let (_, result) = try Self.run(["command": "echo  a   $HOME  'b c'"])
        #expect(result["output"]?.stringValue == "a $HOME 'b c'\n")
    }

    @Test func timeoutKillsGrandchildren() throws {
        let marker = 900_000 + Int.random(in: 0..<99_999)
        let path = try Self.script("sleep \(marker) &\n(sleep \(marker + 1) &)\nsleep \(marker + 2)\n")
        let started = Date()
        let (run, result) = try Self.run(["command": .string("sh \(path)"), "timeout_seconds": 1])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result["exit_code"]?.intValue == -1)
        #expect(result["error"]?.stringValue?.contains("timed out after 1s") == true, "\(result)")
        usleep(300_000)
        let survivors = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { entry in
            guard Int(entry) != nil, let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
                return false
            }
            return String(decoding: cmdline, as: UTF8.self).contains("sleep\u{0}\(marker)")
                || String(decoding: cmdline, as: UTF8.self).contains("sleep\u{0}\(marker + 1)")
        }
        #expect(survivors.isEmpty, "processes of the task survived: \(survivors)")
    }

    @Test func cpuTimeLimitBites() throws {
        let path = try Self.script("while :; do :; done\n")
        let (_, result) = try Self.run(
            ["command": .string("sh \(path)"), "timeout_seconds": 20], ["RUNNER_DOCKER_CPU_LIMIT": "0.05"])
        #expect(result["exit_code"]?.intValue == 128 + Int(SIGXCPU), "\(result)")
        #expect(result["error"]?.stringValue?.contains("CPU-time limit of 1 s") == true, "\(result)")
    }

    @Test func addressSpaceLimitBites() throws {
        let (_, result) = try Self.run(["command": "tail /dev/zero"], ["RUNNER_DOCKER_MEMORY_LIMIT": "64m"])
        #expect(result["exit_code"]?.intValue != 0)
        #expect(result["output"]?.stringValue?.contains("memory exhausted") == true, "\(result)")
    }

    @Test func outputIsCapped() throws {
        let (_, result) = try Self.run(["command": "seq 1 300000"], ["RUNNER_MAX_OUTPUT_BYTES": "1k"])
        let output = result["output"]?.stringValue ?? ""
        #expect(output.hasPrefix("1\n2\n3\n"))
        #expect(output.hasSuffix("300000\n"))
        #expect(output.contains("bytes of output cut"))
        #expect(output.utf8.count < 1200)
    }

    @Test func missingProgramIsAFailedResult() throws {
        let (run, result) = try Self.run(["command": "no-such-program-xyz --flag"])
        #expect(run.status == 0)
        #expect(result["exit_code"]?.intValue != 0)
        #expect(result["error"]?.stringValue?.isEmpty == false)
    }
}
