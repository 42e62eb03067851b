import Foundation
import Shared
import TestSupport
import Testing

/// `prty-fetch add` against real `ipfs add` results: published vectors, and Debian's `ipfs_cid` (kubo's own
/// importer) on a multi-megabyte file with two DAG levels.
struct FetchAddTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("prty-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic pseudo-random bytes (no two chunks alike).
    static func randomBytes(_ count: Int, seed: UInt64) -> Data {
        var random = SeededRandom(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var index = 0
            while index + 8 <= count {
                buffer.storeBytes(of: random.next(), toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                buffer[index] = UInt8(truncatingIfNeeded: random.next())
                index += 1
            }
        }
        return Data(bytes)
    }

    @Test func helloWorldVectors() throws {
        let hello = Data("hello world\n".utf8)
        let v0 = try runTool("prty-fetch", ["add", "-"], stdin: hello)
        #expect(v0.status == 0, "\(v0.stderr)")
        #expect(v0.stdoutText == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n")
        let v1 = try runTool("prty-fetch", ["add", "--cid-version", "1", "-"], stdin: hello)
        #expect(v1.stdoutText == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4\n")
    }

    /// More than 174 chunks, so the DAG has two levels of internal nodes, as `ipfs add` builds it.
    @Test func matchesIpfsCidOnATwoLevelDAG() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("big.bin")
        try Self.randomBytes(176 * 262_144 + 1000, seed: 7).write(to: file)
        let reference = try runProcess(URL(fileURLWithPath: "/usr/bin/ipfs_cid"), [file.path])
        #expect(reference.status == 0, "ipfs_cid (Debian package ipfs-cid, make deps installs it): \(reference.stderr)")
        let expected = try JSONDecoder().decode([String: String].self, from: reference.stdout)
        let added = try runTool("prty-fetch", ["add", "--json", file.path])
        #expect(added.status == 0, "\(added.stderr)")
        let document = try JSONSerialization.jsonObject(with: added.stdout) as? [String: Any]
        #expect(document?["cid"] as? String == expected["CIDv0"])
        #expect(document?["blocks"] as? Int == 177 + 2 + 1)
        #expect(document?["size"] as? Int == 176 * 262_144 + 1000)
    }

    @Test func carAndStoreHoldEveryBlock() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("data.bin")
        try Self.randomBytes(1_000_000, seed: 3).write(to: file)
        let car = directory.appendingPathComponent("data.car")
        let store = directory.appendingPathComponent("store")
        let added = try runTool(
            "prty-fetch",
            [
                "add", "--cid-version", "1", "--car", car.path, "--store", store.path,
                file.path,
            ])
        #expect(added.status == 0, "\(added.stderr)")
        let cid = added.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let checked = try runProcess(
            GatewayDouble.python,
            [
                Paths.root.appendingPathComponent("Tests/TestSupport/peers/verify_car.py").path, car.path,
            ])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdoutText == "roots ['\(cid)'] version 1 blocks 5 hash mismatches 0\n")
        let shards = try FileManager.default.contentsOfDirectory(atPath: store.path)
        #expect(shards.contains("SHARDING"))
        let files = try shards.filter { $0 != "SHARDING" }.flatMap {
            try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent($0).path)
        }
        #expect(files.count == 5)
        #expect(files.allSatisfy { $0.hasPrefix("CIQ") && $0.hasSuffix(".data") })
    }

    @Test func badUsage() throws {
        let missing = try runTool("prty-fetch", ["add", "/no/such/file"])
        #expect(missing.status == 66)
        #expect(missing.stdout.isEmpty)
        #expect(missing.lastErrorLine == "prty-fetch: no such file: /no/such/file")
        for arguments in [
            ["add"], ["add", "--cid-version", "2", "x"], ["add", "--raw-leaves", "true", "x"],
            ["add", "a", "b"],
        ] {
            let result = try runTool("prty-fetch", arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stdout.isEmpty)
            #expect(result.lastErrorLine.hasPrefix("prty-fetch: "))
        }
    }
}
