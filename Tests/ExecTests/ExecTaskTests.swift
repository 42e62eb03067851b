import Shared
import Testing

@testable import prty_exec

/// Task decoding: tolerant of what the server sends, strict about what cannot run.
struct ExecTaskTests {
    static func parse(_ text: String) throws -> ExecTask { try ExecTask.parse(Array(text.utf8)) }

    @Test func dockerTaskWithNullsAndDefaults() throws {
        let task = try Self.parse(
            #"{"id":"a","type":"docker","nonce":"ab","config":{"image_name":"busybox","docker_image_url":"","file_url":null,"#
                + #""resources":{"memory":"32m","cpu_shares":512,"timeout":"30s"}},"environment":{"type":"docker","config":null},"#
                + #""reward":1.5,"created_at":"2025-01-01T00:00:00.123456789Z","completed_at":null}"#)
        guard case .docker(let docker) = task.kind else {
            Issue.record("not docker")
            return
        }
        #expect(docker.image == "busybox")
        #expect(docker.imageURL == nil)
        #expect(docker.workdir == "/")
        #expect(docker.command.isEmpty)
        #expect(docker.resources == .init(memoryBytes: 32 << 20, cpuShares: 512, timeoutSeconds: 30))
    }

    @Test func commandIsSplitLikeGoStringsFields() throws {
        #expect(ExecTask.fields("  echo\ta  b\n c ") == ["echo", "a", "b", "c"])
        let task = try Self.parse(
            #"{"type":"command","config":{"command":"ls -l /","environment":{"N":1,"B":true},"timeout_seconds":0}}"#)
        guard case .command(let spec) = task.kind else {
            Issue.record("not command")
            return
        }
        #expect(spec.argv == ["ls", "-l", "/"])
        #expect(spec.environment == ["N": "1", "B": "true"])
        #expect(spec.timeoutSeconds == nil)
    }

    @Test func llmDefaultsAndPassThrough() throws {
        let task = try Self.parse(
            #"{"type":"llm","config":{"model":"","prompt":"hi","options":{"num_predict":4},"keep_alive":"5m"}}"#)
        guard case .llm(let llm) = task.kind else {
            Issue.record("not llm")
            return
        }
        #expect(llm.model == "llama2")
        let (path, body) = Ollama.body(llm)
        #expect(path == "/api/generate")
        #expect(body["options"]?["num_predict"]?.intValue == 4)
        #expect(body["keep_alive"]?.stringValue == "5m")
        #expect(body["stream"]?.boolValue == true)
        let openai = OpenAI.body(llm)
        #expect(openai["max_tokens"]?.intValue == 4)
        #expect(openai["stream_options"]?["include_usage"]?.boolValue == true)
        #expect(openai["messages"]?.arrayValue?.count == 1)
    }

    @Test(arguments: [
        (#"{"type":"docker","config":{"image_name":5}}"#, "config.image_name must be a string"),
        (#"{"type":"docker","config":{"image_name":"x"},"environment":{"type":"llm"}}"#, "environment.type"),
        (#"{"type":"docker","config":{"image_name":"x","resources":{"timeout":"soon"}}}"#, "resources.timeout"),
        (#"{"type":"docker","config":{"image_name":"x","resources":{"cpu_shares":1}}}"#, "cpu_shares"),
        (#"{"type":"command","config":{"command":"x","timeout_seconds":-1}}"#, "timeout_seconds"),
        (#"{"type":"command","config":{"command":"x","environment":{"A=B":"c"}}}"#, "invalid variable name"),
        (#"{"type":"federated_learning"}"#, "prty-partition"),
    ])
    func invalidTasks(text: String, message: String) {
        #expect {
            try Self.parse(text)
        } throws: { error in
            guard let error = error as? ExecError else { return false }
            return error.exitStatus == .usage && error.description.contains(message)
        }
    }

    @Test func malformedIsDataError() {
        #expect { try Self.parse("{") } throws: { ($0 as? ExecError)?.exitStatus == .dataError }
    }

    @Test func nonceFormat() {
        #expect(ExecTask.isValidNonce("0a1b"))
        #expect(ExecTask.isValidNonce("1712345678-abc"))
        #expect(!ExecTask.isValidNonce(""))
        #expect(!ExecTask.isValidNonce("abc"))  // odd length
        #expect(!ExecTask.isValidNonce("fl-session-round-0"))
        #expect(!ExecTask.isValidNonce(String(repeating: "a", count: 66)))
    }
}

/// Limits, the container's configuration, output capping, log demultiplexing and the Result's hashes.
struct ExecPiecesTests {
    static let node = Limits(
        memoryBytes: 512 << 20, cpus: 1, cpuShares: nil, pids: 256, timeout: 600, network: "none",
        maxOutputBytes: 1 << 20, pullTimeout: 600)

    @Test func tasksOnlyTighten() {
        let tight = Self.node.tightened(by: .init(memoryBytes: 32 << 20, cpuShares: 4096, timeoutSeconds: 30))
        #expect(tight.memoryBytes == 32 << 20)
        #expect(tight.cpuShares == 1024)
        #expect(tight.timeout == 30)
        let loose = Self.node.tightened(by: .init(memoryBytes: 64 << 30, cpuShares: nil, timeoutSeconds: 86400))
        #expect(loose.memoryBytes == 512 << 20)
        #expect(loose.timeout == 600)
    }

    @Test func containerIsLockedDown() {
        let body = Container.createBody(
            .init(image: "img", command: ["sh"], env: ["A=1"], workdir: "/", limits: Self.node))
        let host = body["HostConfig"]
        #expect(
            host?["SecurityOpt"] == ["no-new-privileges"], "a seccomp= entry would replace Docker's default profile")
        #expect(host?["CapDrop"] == ["ALL"])
        #expect(host?["ReadonlyRootfs"] == true)
        #expect(host?["NetworkMode"] == "none")
        #expect(host?["Init"] == true)
        #expect(host?["Memory"]?.intValue == 512 << 20)
        #expect(host?["MemorySwap"]?.intValue == 512 << 20)
        #expect(host?["NanoCpus"]?.intValue == 1_000_000_000)
        #expect(host?["PidsLimit"]?.intValue == 256)
        #expect(host?["Tmpfs"]?["/tmp"] != nil)
        #expect(host?["Privileged"] == nil)
    }

    @Test func cappedOutputKeepsHeadAndTailAndStripsControls() {
        var output = CappedOutput(limit: 10)
        output.append(Array("0123456789abcdefghij".utf8))
        #expect(output.isTruncated)
        #expect(output.text.hasPrefix("01234\n[… 10 bytes"))
        #expect(output.text.hasSuffix("…]\nfghij"))
        var small = CappedOutput(limit: 100)
        small.append(Array("a\u{1B}[1mb\tc\r\nd\u{7F}e\u{85}f".utf8))
        #expect(small.text == "a[1mb\tc\ndef")
        #expect(!small.isTruncated)
    }

    @Test func demultiplexesFramesAcrossChunks() {
        let frames: [UInt8] =
            [1, 0, 0, 0, 0, 0, 0, 3] + Array("out".utf8) + [2, 0, 0, 0, 0, 0, 0, 4] + Array("err\n".utf8)
        for split in 0...frames.count {
            var demux = LogDemultiplexer()
            var text: [UInt8] = []
            demux.feed(Array(frames[..<split])) { text += $0 }
            demux.feed(Array(frames[split...])) { text += $0 }
            #expect(String(decoding: text, as: UTF8.self) == "outerr\n", "split at \(split)")
        }
    }

    @Test func resultHashIsTheServersConcatenation() {
        var result = TaskResult(taskID: "t")
        result.output = "NONCE: ab\nhi"
        result.error = ""
        result.exitCode = 0
        result.hashed = true
        #expect(result.resultHash == Hex.encode(SHA256.hash(Array("NONCE: ab\nhi0".utf8))))
        #expect(TaskResult.commandHash(["echo", "hi"]) == Hex.encode(SHA256.hash(Array("echo hi".utf8))))
        #expect(TaskResult.commandHash([]) == "")
        let json = result.json
        #expect(json["result_hash"]?.stringValue == result.resultHash)
        #expect(json["error"] == nil)
        #expect(json["prompt_tokens"] == nil)
        #expect(TaskResult.milliseconds(0) == 1)
        #expect(TaskResult.milliseconds(.nan) == 1)
    }

    @Test func imageNamesSplitAndIPFSURLs() {
        #expect(Images.split("busybox") == ("busybox", "latest"))
        #expect(Images.split("registry:5000/a/b:1.2") == ("registry:5000/a/b", "1.2"))
        #expect(Images.split("registry:5000/a/b") == ("registry:5000/a/b", "latest"))
        #expect(Images.split("a@sha256:00").1 == nil)
        #expect(Images.ipfsPath("https://ipfs.io/ipfs/QmAbc/image.tar?x=1") == "QmAbc")
        #expect(Images.ipfsPath("ipfs://bafyx") == "bafyx")
        #expect(Images.ipfsPath("https://example.com/image.tar") == nil)
    }

    @Test func statsCountersFromASample() throws {
        let sample = try JSONParser.parse(
            #"{"cpu_stats":{"cpu_usage":{"total_usage":2500000000}},"memory_stats":{"usage":100,"max_usage":300},"#
                + #""networks":{"eth0":{"rx_bytes":10,"tx_bytes":5}},"blkio_stats":{"io_service_bytes_recursive":["#
                + #"{"op":"Read","value":7},{"op":"Write","value":3},{"op":"Total","value":10}]}}"#)
        #expect(
            Container.metrics(sample)
                == .init(cpuNanoseconds: 2_500_000_000, peakMemoryBytes: 300, networkBytes: 15, blockBytes: 10))
    }
}
