import Foundation
import Testing

@testable import Shared

struct SubprocessTests {
    static let path = ["PATH": "/usr/local/bin:/usr/bin:/bin"]

    func sh(
        _ script: String, env: [String: String] = path, input: Subprocess.Input = .null, timeout: Double = 20,
        grace: Double = 2
    ) -> Subprocess {
        Subprocess("sh", ["-c", script], environment: env, input: input, timeout: timeout, killGrace: grace)
    }

    @Test func echoCapturesStdoutAndStderrSeparately() async throws {
        let result = try await sh("echo hello world; echo oops >&2").run()
        #expect(result.termination == .exited(0))
        #expect(result.succeeded)
        #expect(result.stdoutText == "hello world\n")
        #expect(result.stderrText == "oops\n")
        #expect(!result.stdoutTruncated && !result.stderrTruncated && !result.timedOut)
    }

    @Test func argumentsArePassedVerbatim() async throws {
        let words = ["a b", "", "$HOME", "'q'", "ü", "--flag=x"]
        let result = try await Subprocess("printf", ["%s|"] + words, environment: Self.path, timeout: 10).run()
        #expect(result.stdoutText == words.map { $0 + "|" }.joined())
    }

    @Test(arguments: [0, 1, 3, 64, 255])
    func exitCodesAreReported(code: Int32) async throws {
        let result = try await sh("exit \(code)").run()
        #expect(result.termination == .exited(code))
        #expect(result.status == code)
    }

    @Test func deathBySignalIsReported() async throws {
        let result = try await sh("kill -KILL $$").run()
        #expect(result.termination == .signaled(SIGKILL))
        #expect(result.status == 137)
        #expect(!result.succeeded)
        #expect(result.termination.description == "killed by signal 9 (SIGKILL)")
    }

    @Test func stdinBytesReachTheChildWhileItsOutputIsRead() async throws {
        // 3 MB through cat: far more than a pipe buffer in each direction, so writing and reading must overlap.
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let result = try await Subprocess("cat", environment: Self.path, input: .bytes(bytes), timeout: 30).run()
        #expect(result.succeeded)
        #expect(result.stdout.count == bytes.count)
        let same = result.stdout == bytes
        #expect(same, "cat returned different bytes")
    }

    @Test func childThatIgnoresStdinDoesNotBreakTheParent() async throws {
        // The child exits without reading: the parent's write fails with EPIPE, not a fatal SIGPIPE.
        let result = try await sh("exit 0", input: .bytes([UInt8](repeating: 65, count: 1 << 20))).run()
        #expect(result.termination == .exited(0))
    }

    @Test func environmentIsNotInherited() async throws {
        setenv("PRTY_TEST_PARENT_SECRET", "s3cr3t-value", 1)
        #expect(ProcessInfo.processInfo.environment["PRTY_TEST_PARENT_SECRET"] == "s3cr3t-value")
        let result = try await Subprocess("/usr/bin/env", environment: ["ONLY": "this one"], timeout: 10).run()
        #expect(result.stdoutText == "ONLY=this one\n")
        #expect(!result.stdoutText.contains("s3cr3t-value"))
        let empty = try await Subprocess("/usr/bin/env", environment: [:], timeout: 10).run()
        #expect(empty.stdoutText == "")
    }

    @Test func childStartsWithDefaultSignalsAndNoExtraDescriptors() async throws {
        signal(SIGHUP, SIG_IGN)  // as a tool's Interruption ignores SIGINT/SIGTERM: must not reach the child
        let leaked = open("/dev/null", O_RDONLY)  // not close-on-exec
        defer { close(leaked) }
        let result = try await sh("grep -E '^Sig(Blk|Ign)' /proc/self/status; ls /proc/self/fd | wc -l").run()
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        func mask(_ name: String) -> UInt64? {
            lines.first { $0.hasPrefix(name + ":") }
                .flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        let blocked = mask("SigBlk")
        let ignored = mask("SigIgn")
        #expect(blocked == 0)
        let defaults: UInt64 = 1 << (SIGHUP - 1) | 1 << (SIGINT - 1) | 1 << (SIGTERM - 1) | 1 << (SIGPIPE - 1)
        #expect(ignored.map { $0 & defaults } == 0)
        // 0, 1, 2 and the directory ls reads: nothing of the parent's.
        #expect(lines.last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } == 4)
    }

    @Test func timeoutStopsTheWholeProcessGroupQuickly() async throws {
        // sh waits on a background sleep: both are in the child's process group and both must die.
        // `seconds` is measured by the supervising thread (spawn to exit), so a busy test pool cannot skew it.
        let result = try await sh("sleep 30 & echo $!; wait", timeout: 0.5, grace: 1).run()
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(result.termination == .signaled(SIGTERM))
        #expect(result.seconds >= 0.5 && result.seconds < 3, "took \(result.seconds) s")
        let grandchild = try #require(Int32(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.isGone(grandchild, within: 5), "the background sleep \(grandchild) survived the timeout")
    }

    @Test func aChildIgnoringSIGTERMGetsSIGKILL() async throws {
        let result = try await sh("trap '' TERM; echo ready; sleep 30", timeout: 0.3, grace: 0.5).run()
        #expect(result.timedOut)
        #expect(result.termination == .signaled(SIGKILL))
        #expect(result.stdoutText == "ready\n")
        #expect(result.seconds >= 0.8 && result.seconds < 3, "took \(result.seconds) s")
    }

    @Test func outputIsCappedAndTheChildIsNotBlocked() async throws {
        var process = Subprocess(
            "head", ["-c", "5000000", "/dev/zero"], environment: Self.path, stderr: .capture(limit: 10), timeout: 20)
        process.stdout = .capture(limit: 1000)
        let result = try await process.run()
        #expect(result.termination == .exited(0))
        #expect(result.stdout.count == 1000)
        #expect(result.stdoutTruncated)
        #expect(!result.stderrTruncated)
    }

    @Test func outputToFileAndDiscard() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prty-\(UUID().uuidString)").path
        defer { unlink(path) }
        var process = sh("echo to-file; echo gone >&2")
        process.stdout = .file(path)
        process.stderr = .discard
        let result = try await process.run()
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "to-file\n")
    }

    @Test func inputFromFileAndWorkingDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        var process = Subprocess("pwd", environment: Self.path, input: .file("/etc/hostname"), timeout: 10)
        process.currentDirectory = directory
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        #expect(try await process.run().stdoutText == resolved + "\n")
        let cat = Subprocess("cat", environment: Self.path, input: .file("/etc/hostname"), timeout: 10)
        #expect(try await cat.run().stdoutText == (try String(contentsOfFile: "/etc/hostname", encoding: .utf8)))
    }

    @Test func missingProgramIsNamed() async throws {
        await #expect(throws: SubprocessError.notFound("prty-no-such-program", searchPath: "/usr/bin:/bin")) {
            _ = try await Subprocess("prty-no-such-program", environment: ["PATH": "/usr/bin:/bin"], timeout: 5).run()
        }
        await #expect(throws: SubprocessError.self) {
            _ = try await Subprocess("/nonexistent/prog", environment: [:], timeout: 5).run()
        }
        #expect(SubprocessError.notFound("x", searchPath: "/bin").exitStatus == .unavailable)
    }

    @Test func cancellationStopsTheChildAndItsGroup() async throws {
        let (events, continuation) = AsyncStream<String>.makeStream()
        var process = sh("echo $$; sleep 30 & echo $!; wait", timeout: 60, grace: 1)
        process.onOutput = { stream, bytes in
            if stream == .stdout { continuation.yield(String(decoding: bytes, as: UTF8.self)) }
        }
        let task = Task { try await process.run() }
        var printed = ""
        for await text in events {  // both pids printed: the child and its background sleep are running
            printed += text
            if printed.split(separator: "\n").count == 2 { break }
        }
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { _ = try outcome.get() }
        let pids = printed.split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 2)
        for pid in pids { #expect(Self.isGone(pid, within: 5), "process \(pid) survived the cancellation") }
    }

    @Test func offloadRunsOffThePoolAndPassesErrors() async throws {
        #expect(try await offload { 6 * 7 } == 42)
        await #expect(throws: UsageError.self) { _ = try await offload { () throws -> Int in throw UsageError("x") } }
    }

    /// Whether `pid` has exited (gone, or a zombie nobody reaps) within `seconds`; polls /proc.
    static func isGone(_ pid: Int32, within seconds: Double) -> Bool {
        let deadline = Monotonic.seconds() + seconds
        repeat {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "Z" { return true }
            usleep(10_000)
        } while Monotonic.seconds() < deadline
        return false
    }
}
