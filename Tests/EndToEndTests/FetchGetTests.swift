import Foundation
import Shared
import TestSupport
import Testing

/// `prty-fetch get` as a user runs it, against the trustless gateway double (`peers/trustless_gw.py`) over
/// loopback: every CID form, datasets, corruption (refused every time), failover, CAR damage, timeouts, the
/// cache and local stores. Every run names its gateways and its cache: nothing reaches a public gateway.
struct FetchGetTests {
    static func temporaryDirectory() throws -> URL { try FetchAddTests.temporaryDirectory() }

    /// A file of `size` pseudo-random bytes in a fresh folder.
    static func randomFile(_ size: Int, seed: UInt64) throws -> (URL, Data) {
        let data = FetchAddTests.randomBytes(size, seed: seed)
        let url = try temporaryDirectory().appendingPathComponent("content.bin")
        try data.write(to: url)
        return (url, data)
    }

    /// An origin where nothing listens (connection refused).
    static func deadOrigin() -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        close(fd)
        return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    static func fetch(_ arguments: [String], timeout: TimeInterval = 120) throws -> ToolResult {
        try runTool("prty-fetch", arguments, timeout: timeout)
    }

    static func expectFailure(
        _ result: ToolResult, _ status: Int32, _ text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(result.lastErrorLine.hasPrefix("prty-fetch: "), sourceLocation: sourceLocation)
        #expect(result.lastErrorLine.contains(text), "\(result.lastErrorLine)", sourceLocation: sourceLocation)
    }

    @Test func everyCIDFormOfAMultiBlockFile() throws {
        let (file, data) = try Self.randomFile(1_100_000, seed: 11)
        let gateway = try GatewayDouble(files: [file])
        defer { gateway.stop() }
        let entry = gateway.files[0]
        for cid in [entry.v0, entry.v1, entry.v1_dagpb, "/ipfs/\(entry.v0)", "ipfs://\(entry.v1)/"] {
            let result = try Self.fetch([cid, "--raw", "--gateway", gateway.origin, "--no-cache"])
            #expect(result.status == 0, "\(cid): \(result.stderr)")
            #expect(result.stdout == data, "\(cid)")
        }
        let output = file.deletingLastPathComponent().appendingPathComponent("out.bin")
        let saved = try Self.fetch(["get", entry.v1, "-o", output.path, "-g", "\(gateway.origin)/ipfs/", "--no-cache"])
        #expect(saved.status == 0, "\(saved.stderr)")
        #expect(saved.stdout.isEmpty)
        #expect(try Data(contentsOf: output) == data)
        // One CAR per fetch: no block-by-block traffic when the gateway does its job.
        #expect(try gateway.requests().allSatisfy { $0.format == "car" && $0.scope == "entity" })
    }

    @Test func datasetFromACSV() throws {
        let gateway = try GatewayDouble(files: [Paths.fixture("iris.csv")])
        defer { gateway.stop() }
        let cid = gateway.files[0].v0
        let result = try Self.fetch([cid, "--gateway", gateway.origin, "--no-cache", "--label-column", "species"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(document["format"] as? String == "prty.dataset/1")
        #expect(document["task"] as? String == "classification")
        #expect(document["classes"] as? [Int] == [0, 1, 2])
        #expect(document["label_names"] as? [String] == ["setosa", "versicolor", "virginica"])
        #expect((document["features"] as? [[Double]])?.count == 150)
        #expect(
            document["feature_names"] as? [String] == ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        #expect(document["source"] as? [String: String] == ["cid": cid, "format": "csv"])
        // Byte-identical on a second run.
        let again = try Self.fetch([cid, "--gateway", gateway.origin, "--no-cache", "--label-column", "species"])
        #expect(again.stdout == result.stdout)
        // Options that shape a dataset make no sense with --raw.
        let mixed = try Self.fetch([cid, "--raw", "--label-column", "species", "-g", gateway.origin, "--no-cache"])
        Self.expectFailure(mixed, 64, "--label-column shapes a Dataset document")
    }

    /// Whatever block is corrupted, and however it is asked for, the content is refused: exit 65, nothing on
    /// stdout, no output file.
    @Test(arguments: [
        ["--corrupt", "all"], ["--corrupt", "0"], ["--corrupt", "2"], ["--corrupt", "4", "--no-car"],
        ["--corrupt", "1", "--no-car"],
    ])
    func corruptionIsAlwaysRefused(modes: [String]) throws {
        let (file, _) = try Self.randomFile(1_100_000, seed: 12)
        let gateway = try GatewayDouble(files: [file], modes: modes)
        defer { gateway.stop() }
        for cid in [gateway.files[0].v0, gateway.files[0].v1] {
            let output = file.deletingLastPathComponent().appendingPathComponent("out-\(cid).bin")
            let result = try Self.fetch([cid, "-o", output.path, "--gateway", gateway.origin, "--no-cache"])
            Self.expectFailure(result, 65, "no gateway served a valid block")
            #expect(result.stderr.contains("not using it again in this run"))
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test func failsOverFromDeadLyingFailingAndStallingGateways() throws {
        let (file, data) = try Self.randomFile(700_000, seed: 13)
        let good = try GatewayDouble(files: [file])
        defer { good.stop() }
        let liar = try GatewayDouble(files: [file], modes: ["--corrupt", "all"])
        defer { liar.stop() }
        let failing = try GatewayDouble(files: [file], modes: ["--status", "503"])
        defer { failing.stop() }
        let stalling = try GatewayDouble(files: [file], modes: ["--stall"])
        defer { stalling.stop() }
        let cid = good.files[0].v0
        for first in [Self.deadOrigin(), liar.origin, failing.origin, stalling.origin] {
            let started = Date()
            let result = try Self.fetch([cid, "--raw", "-g", first, "-g", good.origin, "--no-cache", "--timeout", "2s"])
            #expect(result.status == 0, "first \(first): \(result.stderr)")
            #expect(result.stdout == data, "first \(first)")
            #expect(Date().timeIntervalSince(started) < 30, "first \(first)")
        }
        #expect(try stalling.requests().count >= 1)
    }

    @Test(arguments: [["--car-truncate"], ["--car-missing"], ["--no-car"]])
    func damagedOrMissingCARsFallBackToBlocks(modes: [String]) throws {
        let (file, data) = try Self.randomFile(1_100_000, seed: 14)
        let gateway = try GatewayDouble(files: [file], modes: modes)
        defer { gateway.stop() }
        let result = try Self.fetch([gateway.files[0].v1, "--raw", "--gateway", gateway.origin, "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == data)
        let requests = try gateway.requests()
        #expect(requests.first?.format == "car")
        #expect(requests.dropFirst().allSatisfy { $0.format == "raw" } && requests.count > 1)
    }

    @Test func anExtraBlockInACARBansTheGateway() throws {
        let (file, data) = try Self.randomFile(600_000, seed: 15)
        let stuffer = try GatewayDouble(files: [file], modes: ["--car-extra"])
        defer { stuffer.stop() }
        // The stranger comes after the last real block: the file is complete and verified, so it is handed on,
        // and the gateway is still dropped for the rest of the run.
        let alone = try Self.fetch([stuffer.files[0].v0, "--raw", "-g", stuffer.origin, "--no-cache"])
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdout == data)
        #expect(alone.stderr.contains("which is not part of"))
        #expect(alone.stderr.contains("not using it again in this run"))
        // A gateway that also lies about a block cannot complete the file; another gateway must.
        let liar = try GatewayDouble(files: [file], modes: ["--car-extra", "--corrupt", "2"])
        defer { liar.stop() }
        Self.expectFailure(
            try Self.fetch([liar.files[0].v0, "--raw", "-g", liar.origin, "--no-cache"]), 65,
            "no gateway served a valid block")
        let good = try GatewayDouble(files: [file], modes: ["--no-car"])
        defer { good.stop() }
        let helped = try Self.fetch([liar.files[0].v0, "--raw", "-g", liar.origin, "-g", good.origin, "--no-cache"])
        #expect(helped.status == 0, "\(helped.stderr)")
        #expect(helped.stdout == data)
    }

    @Test func notFoundUnavailableAndTimeouts() throws {
        let (file, _) = try Self.randomFile(10_000, seed: 16)
        let other = try GatewayDouble(files: [file])
        defer { other.stop() }
        let empty = try GatewayDouble(files: [])
        defer { empty.stop() }
        let unknown = other.files[0].v0
        Self.expectFailure(
            try Self.fetch([unknown, "--raw", "-g", empty.origin, "-g", empty.origin + "/", "--no-cache"]),
            66, "was not found on any gateway")
        let failing = try GatewayDouble(files: [file], modes: ["--status", "503"])
        defer { failing.stop() }
        Self.expectFailure(
            try Self.fetch([unknown, "--raw", "-g", failing.origin, "-g", empty.origin, "--no-cache"]),
            75, "try again later")
        Self.expectFailure(
            try Self.fetch([unknown, "--raw", "-g", Self.deadOrigin(), "--no-cache"]), 75,
            "connection refused")
        let stalling = try GatewayDouble(files: [file], modes: ["--stall"])
        defer { stalling.stop() }
        let started = Date()
        Self.expectFailure(
            try Self.fetch([unknown, "--raw", "-g", stalling.origin, "--timeout", "1s", "--no-cache"]),
            75, "timed out")
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func dagBombsAndSizeLimits() throws {
        let (file, _) = try Self.randomFile(1_100_000, seed: 17)
        let gateway = try GatewayDouble(files: [file], modes: ["--bomb"])
        defer { gateway.stop() }
        let bomb = try #require(gateway.bomb)
        Self.expectFailure(try Self.fetch([bomb, "--raw", "-g", gateway.origin, "--no-cache"]), 65, "--max-size")
        Self.expectFailure(
            try Self.fetch([
                gateway.files[0].v1, "--raw", "-g", gateway.origin, "--no-cache",
                "--max-size", "1m",
            ]), 65, "more than --max-size 1048576")
        let fits = try Self.fetch([
            gateway.files[0].v1, "--raw", "-g", gateway.origin, "--no-cache", "--max-size", "2m",
        ])
        #expect(fits.status == 0, "\(fits.stderr)")
        #expect(try gateway.requests().count < 10)  // refused from the root's declared size, not by downloading
    }

    @Test func theCacheMakesTheSecondRoundLocal() throws {
        let (file, data) = try Self.randomFile(900_000, seed: 18)
        let cache = file.deletingLastPathComponent().appendingPathComponent("cache")
        let gateway = try GatewayDouble(files: [file])
        let cid = gateway.files[0].v1
        let first = try Self.fetch([cid, "--raw", "-g", gateway.origin, "--cache-dir", cache.path])
        #expect(first.status == 0, "\(first.stderr)")
        gateway.stop()
        let second = try Self.fetch([cid, "--raw", "-g", gateway.origin, "--cache-dir", cache.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == data)
        // The same bytes under their CIDv0-style name are a different DAG (dag-pb leaves): not cached.
        Self.expectFailure(
            try Self.fetch([
                gateway.files[0].v0, "--raw", "-g", gateway.origin, "--cache-dir",
                cache.path,
            ]), 75, "connection refused")
        // A cache that cannot be written costs one warning, not the fetch.
        let blocker = file.deletingLastPathComponent().appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let unwritable = try Self.fetch([
            cid, "--raw", "-g", Self.deadOrigin(), "-g", "file://\(cache.path)/blocks", "--cache-dir",
            blocker.appendingPathComponent("cache").path,
        ])
        #expect(unwritable.status == 0, "\(unwritable.stderr)")
        #expect(unwritable.stdout == data)
        #expect(unwritable.stderr.components(separatedBy: "cannot write to the block cache").count == 2)
        // IPFS_CACHE_MAX_BYTES bounds it: a tiny bound evicts all but what fits.
        let env = ["IPFS_CACHE_MAX_BYTES": "300k", "IPFS_CACHE_DIR": cache.path]
        let trimmed = try runTool("prty-fetch", [cid, "--raw", "-g", gateway.origin], environment: env)
        #expect(trimmed.status == 0, "\(trimmed.stderr)")
        let size = try FileManager.default.subpathsOfDirectory(atPath: cache.path).reduce(0) { total, path in
            let attributes = try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent(path).path)
            return total
                + ((attributes[.type] as? FileAttributeType) == .typeRegular ? (attributes[.size] as? Int ?? 0) : 0)
        }
        #expect(size <= 300 * 1024)
    }

    @Test func localBlockStoresWorkOffline() throws {
        let (file, data) = try Self.randomFile(800_000, seed: 19)
        let store = file.deletingLastPathComponent().appendingPathComponent("store")
        let added = try runTool("prty-fetch", ["add", "--store", store.path, file.path])
        #expect(added.status == 0, "\(added.stderr)")
        let cid = added.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try Self.fetch([cid, "--raw", "-g", "file://\(store.path)", "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == data)
        // IPFS_GATEWAYS may name it too, and the CIDv1 of the same root finds the same files.
        let environment = ["IPFS_GATEWAYS": "file://\(store.path)"]
        let viaEnvironment = try runTool(
            "prty-fetch", ["/ipfs/\(cid)", "--raw", "--no-cache"], environment: environment)
        #expect(viaEnvironment.stdout == data, "\(viaEnvironment.stderr)")
        Self.expectFailure(
            try Self.fetch([cid, "--raw", "-g", "file:///no/such/store", "--no-cache"]), 66,
            "does not exist")
    }

    @Test func aRepeatedBlockIsFetchedOnce() throws {
        let directory = try Self.temporaryDirectory()
        let zeros = directory.appendingPathComponent("zeros.bin")
        try Data(count: 8 * 262_144).write(to: zeros)
        let gateway = try GatewayDouble(files: [zeros], modes: ["--no-car"])
        defer { gateway.stop() }
        let result = try Self.fetch([gateway.files[0].v0, "--raw", "-g", gateway.origin, "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == Data(count: 8 * 262_144))
        #expect(try gateway.requests().filter { $0.format == "raw" }.count == 2)  // root and the one leaf
    }

    @Test func identityCIDsNeedNoGateway() throws {
        let result = try Self.fetch(["bafkqaaa", "--raw", "-g", Self.deadOrigin(), "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func badInvocations() throws {
        let dead = Self.deadOrigin()
        let cases: [([String], [String: String], Int32, String)] = [
            ([], [:], 64, "get needs a CID"),
            (["Qmnotacid", "-g", dead], [:], 64, "not a valid CID"),
            (
                ["bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae", "-g", dead], [:], 65,
                "unsupported CID: codec dag-cbor"
            ),
            (["/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o/a.txt", "-g", dead], [:], 64, "has a path"),
            (["bafkqaaa", "-g", "ftp://x"], [:], 64, "--gateway: 'ftp://x' is not a gateway"),
            (["bafkqaaa"], ["IPFS_GATEWAYS": "gopher://x"], 78, "IPFS_GATEWAYS"),
            (["bafkqaaa", "-g", dead, "--header", "--no-header"], [:], 64, "contradict"),
            (["bafkqaaa", "-g", dead, "--timeout", "soon"], [:], 64, "--timeout"),
            (["bafkqaaa", "-g", dead, "--max-size", "0"], [:], 64, "--max-size"),
            (["bafkqaaa", "-g", dead, "--missing", "guess"], [:], 64, "--missing must be one of"),
            (["bafkqaaa", "-g", dead, "--no-cache", "--cache-dir", "/tmp"], [:], 64, "contradict"),
        ]
        for (arguments, environment, status, text) in cases {
            let result = try runTool("prty-fetch", arguments, environment: environment)
            Self.expectFailure(result, status, text)
        }
        // An empty identity CID is content, not a dataset.
        Self.expectFailure(try Self.fetch(["bafkqaaa", "-g", dead, "--no-cache"]), 65, "the CSV is empty")
        // Failures in --log-format json end with one error event carrying the exit code.
        let json = try Self.fetch(["Qmnotacid", "--log-format", "json"])
        #expect(json.status == 64)
        let event = try JSONSerialization.jsonObject(with: Data(json.lastErrorLine.utf8)) as? [String: Any]
        #expect(event?["event"] as? String == "error")
        #expect(event?["exit_code"] as? Int == 64)
    }
}
