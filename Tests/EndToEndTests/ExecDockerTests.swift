import Foundation
import Shared
import TestSupport
import Testing

/// `prty-exec` with docker and sandboxed command tasks against a private Docker engine (`DockerDaemon`): the
/// limits hit for real (memory, pids, time, output), the sandbox's settings seen from inside the container, the
/// hashes recomputed as the server does, and no container left behind.
@Suite(.serialized)
struct ExecDockerTests {
    static func task(
        _ command: [String], resources: [String: JSON]? = nil, image: String = "local/busybox:1",
        nonce: String = "0a1b2c3d"
    ) -> JSON {
        var config: [String: JSON] = ["image_name": .string(image)]
        if let resources { config["resources"] = .object(resources) }
        return [
            "id": "6f1c2d3e-0000-4000-8000-00000000000a", "type": "docker", "nonce": .string(nonce),
            "config": .object(config),
            "environment": [
                "type": "docker", "config": ["workdir": "/", "env": ["GREETING=hi"], "command": .strings(command)],
            ],
        ]
    }

    /// Runs prty-exec on `task` against the private engine; returns the run and the Result it printed.
    static func exec(_ task: JSON, _ environment: [String: String] = [:], timeout: TimeInterval = 120) throws
        -> (ToolResult, JSON)
    {
        let docker = try DockerDaemon.shared()
        var env = [
            "DOCKER_HOST": docker.host, "RUNNER_COMMAND_IMAGE": docker.busybox, "PARITY_CONFIG_PATH": "/dev/null",
        ]
        for (key, value) in environment { env[key] = value }
        let run = try runTool("prty-exec", [], stdin: Data(task.serialized().utf8), environment: env, timeout: timeout)
        let result = (try? JSONParser.parse(run.stdoutText)) ?? .null
        return (run, result)
    }

    static func noContainersLeft() throws {
        #expect(try DockerDaemon.shared().taskContainers().isEmpty, "prty-exec left a container behind")
    }

    @Test func sandboxAsSeenFromInside() throws {
        let script = """
            echo "hello $GREETING nonce=$TASK_NONCE"
            ls /sys/class/net | tr '\\n' ' '; echo
            grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t' ' '
            touch /rootfs-write 2>/dev/null && echo rootfs-writable || echo rootfs-read-only
            touch /tmp/x && echo tmp-writable
            echo to-stderr >&2
            printf 'bell\\007 esc\\033[31m done\\n'
            """
        let (run, result) = try Self.exec(Self.task(["sh", "-c", script]))
        #expect(run.status == 0, "\(run.stderr)")
        let output = result["output"]?.stringValue ?? ""
        #expect(output.hasPrefix("NONCE: 0a1b2c3d\n"))
        #expect(output.contains("hello hi nonce=0a1b2c3d"))
        #expect(output.contains("lo \n") || output.contains("lo\n"), "network interfaces: \(output)")
        #expect(!output.contains("eth0"))
        #expect(output.contains("CapEff: 0000000000000000"))
        #expect(output.contains("NoNewPrivs: 1"))
        #expect(output.contains("Seccomp: 2"), "Docker's default seccomp profile is in force")
        #expect(output.contains("rootfs-read-only"))
        #expect(output.contains("tmp-writable"))
        #expect(output.contains("to-stderr"))
        #expect(output.contains("bell esc[31m done"), "control characters stripped: \(output)")
        #expect(result["exit_code"]?.intValue == 0)
        #expect(result["error"] == nil)

        // The hashes exactly as the server checks them (docs/protocol.md, "Nonce and hashes").
        let docker = try DockerDaemon.shared()
        let imageID = try docker.get("/images/local/busybox:1/json")["Id"]?.stringValue ?? ""
        #expect(result["image_hash_verified"]?.stringValue == String(imageID.dropFirst("sha256:".count)))
        let command = ["sh", "-c", script].joined(separator: " ")
        #expect(result["command_hash_verified"]?.stringValue == Hex.encode(SHA256.hash(Array(command.utf8))))
        #expect(result["result_hash"]?.stringValue == Hex.encode(SHA256.hash(Array((output + "0").utf8))))
        #expect(result["task_id"]?.stringValue == "6f1c2d3e-0000-4000-8000-00000000000a")
        #expect((result["execution_time"]?.intValue ?? 0) >= 1)
        try Self.noContainersLeft()
    }

    @Test func nonZeroExitIsAResult() throws {
        let (run, result) = try Self.exec(Self.task(["sh", "-c", "echo partial; exit 3"]))
        #expect(run.status == 0)
        #expect(result["exit_code"]?.intValue == 3)
        #expect(result["output"]?.stringValue == "NONCE: 0a1b2c3d\npartial")
        let hashed = "NONCE: 0a1b2c3d\npartial" + (result["error"]?.stringValue ?? "") + "3"
        #expect(result["result_hash"]?.stringValue == Hex.encode(SHA256.hash(Array(hashed.utf8))))
        try Self.noContainersLeft()
    }

    @Test func memoryHogIsOOMKilledAndReported() throws {
        let (run, result) = try Self.exec(
            Self.task(["sh", "-c", "head -c 200000000 /dev/zero | tail"], resources: ["memory": "16m"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["exit_code"]?.intValue == 137)
        #expect(result["error"]?.stringValue?.contains("ran out of memory at its limit of 16m") == true, "\(result)")
        try Self.noContainersLeft()
    }

    @Test func forkBombHitsThePidsLimit() throws {
        let bomb = "i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo spawned; kill $(jobs -p) 2>/dev/null"
        let (run, result) = try Self.exec(Self.task(["sh", "-c", bomb]), ["RUNNER_DOCKER_PIDS_LIMIT": "8"])
        #expect(run.status == 0, "\(run.stderr)")
        let output = result["output"]?.stringValue ?? ""
        #expect(output.contains("can't fork") || output.contains("Resource temporarily unavailable"), "\(output)")
        try Self.noContainersLeft()
    }

    @Test func sleeperIsStoppedAtItsTimeout() throws {
        let started = Date()
        let (run, result) = try Self.exec(Self.task(["sleep", "300"], resources: ["timeout": "2s"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["exit_code"]?.intValue == -1)
        #expect(result["error"]?.stringValue?.contains("timeout of 2s") == true, "\(result)")
        #expect(Date().timeIntervalSince(started) < 60)
        try Self.noContainersLeft()
    }

    @Test func aTaskCannotLoosenTheNodesTimeout() throws {
        let (_, result) = try Self.exec(
            Self.task(["sleep", "300"], resources: ["timeout": "1h"]), ["RUNNER_EXECUTION_TIMEOUT": "2s"])
        #expect(result["exit_code"]?.intValue == -1)
        #expect(result["error"]?.stringValue?.contains("timeout of 2s") == true, "\(result)")
        try Self.noContainersLeft()
    }

    @Test func hugeOutputIsCappedHeadAndTail() throws {
        let (run, result) = try Self.exec(
            Self.task(["sh", "-c", "echo FIRST; seq 1 200000; echo LAST"]), ["RUNNER_MAX_OUTPUT_BYTES": "2k"])
        #expect(run.status == 0)
        let output = result["output"]?.stringValue ?? ""
        #expect(output.utf8.count < 2300, "\(output.utf8.count) bytes")
        #expect(output.contains("FIRST"))
        #expect(output.hasSuffix("LAST"))
        #expect(output.contains("bytes of output cut"))
        try Self.noContainersLeft()
    }

    @Test func unknownImageFailsClearly() throws {
        let (run, result) = try Self.exec(Self.task(["true"], image: "local/no-such-image:1"), timeout: 180)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["exit_code"]?.intValue == -1)
        let error = result["error"]?.stringValue ?? ""
        #expect(error.contains("local/no-such-image:1"), "\(error)")
        #expect(error.contains("pull"), "\(error)")
        try Self.noContainersLeft()
    }

    @Test func imageIsLoadedFromItsURLWhenNotLocal() throws {
        let docker = try DockerDaemon.shared()
        // A tarball of the busybox image under a name the engine does not have (tag, save, untag).
        DockerDaemon.curl(
            docker.socket, ["-X", "POST", "http://localhost/v1.41/images/local/busybox:1/tag?repo=local/fromurl&tag=1"])
        let tar = docker.directory + "/fromurl.tar"
        let saved = DockerDaemon.curl(docker.socket, ["-o", tar, "http://localhost/v1.41/images/local/fromurl:1/get"])
        #expect(saved.status == 0, "\(saved.output)")
        DockerDaemon.curl(docker.socket, ["-X", "DELETE", "http://localhost/v1.41/images/local/fromurl:1"])
        let tarball = try Data(contentsOf: URL(fileURLWithPath: tar))
        let server = try LocalHTTPServer { _ in .bytes(tarball, headers: ["Content-Type": "application/x-tar"]) }
        defer { server.stop() }
        var task = Self.task(["echo", "loaded"], image: "local/fromurl:1")
        if case .object(var members) = task, case .object(var config)? = members["config"] {
            config["docker_image_url"] = .string(server.url("/image.tar"))
            members["config"] = .object(config)
            task = .object(members)
        }
        let (run, result) = try Self.exec(task)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["exit_code"]?.intValue == 0, "\(result)")
        #expect(result["output"]?.stringValue == "NONCE: 0a1b2c3d\nloaded")
        let imageID = try docker.get("/images/local/fromurl:1/json")["Id"]?.stringValue ?? ""
        #expect(result["image_hash_verified"]?.stringValue == String(imageID.dropFirst("sha256:".count)))
        try Self.noContainersLeft()
    }

    @Test func invalidNonceIsAFailedResult() throws {
        let (run, result) = try Self.exec(Self.task(["true"], nonce: "not-hex!"))
        #expect(run.status == 0)
        #expect(result["error"]?.stringValue?.contains("nonce") == true)
    }

    @Test func sigtermStopsTheContainerWritesTheResultAndExits130() throws {
        let docker = try DockerDaemon.shared()
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = docker.host
        environment["PARITY_CONFIG_PATH"] = "/dev/null"
        let exec = try PeerProcess(
            "prty-exec", executable: try Paths.tool("prty-exec"), [], environment: environment, stdin: true)
        try exec.stdin?.write(contentsOf: Data(Self.task(["sleep", "300"]).serialized().utf8))
        try exec.stdin?.close()
        let deadline = Date().addingTimeInterval(60)
        while try docker.taskContainers().first(where: { $0["State"]?.stringValue == "running" }) == nil {
            #expect(Date() < deadline, "the container never started")
            if Date() > deadline { break }
            usleep(100_000)
        }
        kill(exec.pid, SIGTERM)
        let stdout = exec.stdout?.readDataToEndOfFile() ?? Data()
        #expect(exec.wait(60) == 130)
        let result = try JSONParser.parse(Array(stdout))
        #expect(result["exit_code"]?.intValue == -1)
        #expect(result["error"]?.stringValue?.contains("interrupted") == true, "\(result)")
        try Self.noContainersLeft()
    }

    @Test func commandTaskRunsInTheSandboxByDefault() throws {
        let task: JSON = [
            "id": "c-1", "type": "command",
            "config": ["command": "sh  -c  id", "environment": ["FOO": "bar"], "timeout_seconds": 30],
        ]
        let (run, result) = try Self.exec(task)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(result["output"]?.stringValue?.contains("uid=0") == true, "\(result)")  // root in a container
        #expect(result["exit_code"]?.intValue == 0)
        let envTask: JSON = [
            "id": "c-2", "type": "command", "config": ["command": "sh -c env", "environment": ["FOO": "bar"]],
        ]
        let (_, envResult) = try Self.exec(envTask, ["PRTY_TEST_SECRET": "s3cret"])
        let output = envResult["output"]?.stringValue ?? ""
        #expect(output.contains("FOO=bar"))
        #expect(!output.contains("s3cret"))
        try Self.noContainersLeft()
    }

    @Test func noEngineIsExit69AndCommandsNeverFallBackToTheHost() throws {
        let missing = "unix:///tmp/prty-no-such-dir/docker.sock"
        let run = try runTool(
            "prty-exec", [], stdin: Data(Self.task(["true"]).serialized().utf8),
            environment: ["DOCKER_HOST": missing, "PARITY_CONFIG_PATH": "/dev/null"])
        #expect(run.status == 69)
        #expect(run.lastErrorLine.hasPrefix("prty-exec: no Docker engine at \(missing)"), "\(run.lastErrorLine)")
        #expect(run.stdout.isEmpty)

        let command: JSON = ["id": "c", "type": "command", "config": ["command": "echo should-not-run"]]
        let sandboxed = try runTool(
            "prty-exec", [], stdin: Data(command.serialized().utf8),
            environment: ["DOCKER_HOST": missing, "PARITY_CONFIG_PATH": "/dev/null"])
        #expect(sandboxed.status == 69)
        #expect(sandboxed.lastErrorLine.contains("RUNNER_COMMAND_SANDBOX=host"), "\(sandboxed.lastErrorLine)")
        #expect(sandboxed.stdout.isEmpty)
    }

    @Test func tasksThatCannotRun() throws {
        for (text, status, message) in [
            ("not json", Int32(65), "the Task on stdin is not readable"),
            ("[1]", 65, "expected a JSON object"),
            (#"{"type":"docker","config":{}}"#, 64, "config.image_name"),
            (#"{"type":"shell"}"#, 64, "unknown task type \"shell\""),
            (#"{"type":"command","config":{"command":"   "}}"#, 64, "config.command is empty"),
            (#"{"type":"llm","config":{"model":"m"}}"#, 64, "config.prompt"),
            (#"{"type":"docker","config":{"image_name":"x","resources":{"memory":"lots"}}}"#, 64, "resources.memory"),
        ] {
            let run = try runTool(
                "prty-exec", [], stdin: Data(text.utf8), environment: ["PARITY_CONFIG_PATH": "/dev/null"])
            #expect(run.status == status, "\(text): \(run.stderr)")
            #expect(run.lastErrorLine.contains(message), "\(text): \(run.lastErrorLine)")
            #expect(run.stdout.isEmpty)
        }
    }
}
