import Foundation
import Shared
import Testing

@testable import prty_fetch

/// Retrieval against gateways faked behind the HTTPClient seam: failover, racing, bans, verification.
struct RetrievalTests {
    static let content: [UInt8] = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }

    static func retrieve(
        _ root: CID, _ fake: FakeGateways, _ origins: [String], car: Bool = true,
        timeout: Double = 10, cache: BlockCache? = nil,
        maxSize: UInt64 = 1 << 30, parallel: Bool? = nil
    ) async throws -> ([UInt8], GatewayPool) {
        let pool = GatewayPool(origins.map { try! Gateway(parsing: $0) })
        var options = Retrieval.Options(timeout: timeout, limits: Assembly.Limits(maxSize: maxSize))
        options.useCAR = car
        if let parallel { options.parallelVerification = parallel }
        let retrieval = Retrieval(pool: pool, client: fake.client, cache: cache, options: options)
        var out = [UInt8]()
        _ = try await retrieval.run(root) { out.append(contentsOf: $0) }
        return (out, pool)
    }

    /// Both ways of verifying a CAR: on the reading task, and on the other cores.
    @Test(arguments: [false, true]) func wholeFileFromOneCAR(parallel: Bool) async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://a": .honest])
        let (out, _) = try await Self.retrieve(root, fake, ["http://a"], parallel: parallel)
        #expect(out == Self.content)
        #expect(fake.requests.map(\.format) == ["car"])
    }

    @Test func deadFirstGatewayFailsOver() async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content, version: .v1)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://dead": .refused, "http://b": .honest])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://dead", "http://b"])
        #expect(out == Self.content)
        #expect(await pool.record(0).errors >= 1)
        #expect(await pool.ranked() == [1, 0])  // the dead one sinks
    }

    /// Both ways of verifying a CAR: on the reading task, and on the other cores.
    @Test(arguments: [false, true]) func lyingGatewayIsBannedAndNeverWins(parallel: Bool) async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://liar": .corrupt, "http://b": .honest])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://liar", "http://b"], parallel: parallel)
        #expect(out == Self.content)
        #expect(await pool.isBanned(0))
        #expect(fake.requests(to: "http://liar").count == 1)  // one bad CAR, then never again
        #expect(await pool.ranked() == [1])
    }

    @Test func onlyLiarsMeansBadData() async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://a": .corrupt, "http://b": .corrupt])
        await #expect {
            _ = try await Self.retrieve(root, fake, ["http://a", "http://b"])
        } throws: { error in
            guard let error = error as? FetchError, case .noValidBlock = error else { return false }
            return error.exitStatus == .dataError
        }
    }

    /// Both ways of verifying a CAR: on the reading task, and on the other cores.
    @Test(arguments: [false, true]) func truncatedCARFallsBackToBlocks(parallel: Bool) async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://a": .truncatedCAR])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://a"], parallel: parallel)
        #expect(out == Self.content)
        #expect(!(await pool.isBanned(0)))
        let formats = fake.requests.map(\.format)
        #expect(formats.first == "car")
        #expect(formats.dropFirst().allSatisfy { $0 == "raw" } && formats.count == 2)  // only the missing leaf
    }

    /// Both ways of verifying a CAR: on the reading task, and on the other cores.
    @Test(arguments: [false, true]) func extraBlockInCARBansTheGateway(parallel: Bool) async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://a": .extraBlockCAR, "http://b": .rawOnly])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://a", "http://b"], parallel: parallel)
        #expect(out == Self.content)
        #expect(await pool.isBanned(0))
    }

    /// The slow gateway is asked first (it is first in the list), raced by the fast one after the hedge delay,
    /// and then left behind: had nobody raced it, its late answer would have won and the fast one would have
    /// had nothing to do. The slow one never answers within the test's time limit, so only racing can finish.
    @Test(.timeLimit(.minutes(2))) func slowGatewayIsRacedByTheNext() async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://slow": .slow(3600), "http://fast": .honest])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://slow", "http://fast"], car: false, timeout: 600)
        #expect(out == Self.content)
        #expect(fake.requests(to: "http://slow").count == 1)
        #expect(fake.requests(to: "http://fast").count == blocks.count)
        #expect(await pool.ranked() == [1, 0])
    }

    /// The CAR itself is raced too: a first gateway that does not answer loses to the second after the hedge
    /// delay, and the whole file comes in one CAR from the second.
    @Test(.timeLimit(.minutes(2))) func slowCARIsRacedByTheNext() async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://mute": .slow(3600), "http://fast": .honest])
        let (out, pool) = try await Self.retrieve(root, fake, ["http://mute", "http://fast"], timeout: 600)
        #expect(out == Self.content)
        #expect(fake.requests(to: "http://mute").map(\.format) == ["car"])
        #expect(fake.requests(to: "http://fast").map(\.format) == ["car"])
        #expect(await pool.record(1).successes == 1)
    }

    @Test func exitStatusesOfTotalFailure() async throws {
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let cases: [([String: FakeGateways.Behaviour], Shared.ExitStatus)] = [
            (["http://a": .status(404), "http://b": .status(410)], .noInput),
            (["http://a": .status(404), "http://b": .status(503)], .tempFailure),
            (["http://a": .refused, "http://b": .refused], .tempFailure),
            (["http://a": .status(404), "http://b": .corrupt], .dataError),
        ]
        for (behaviours, status) in cases {
            let fake = FakeGateways(blocks: blocks, behaviours: behaviours)
            await #expect {
                _ = try await Self.retrieve(root, fake, ["http://a", "http://b"])
            } throws: { error in
                (error as? FetchError)?.exitStatus == status
            }
        }
    }

    @Test func repeatedBlockIsFetchedOnce() async throws {
        let zeros = [UInt8](repeating: 0, count: 8 * UnixFSBuilder.chunkSize)
        let (root, blocks, _) = FakeGateways.dag(zeros)
        #expect(blocks.count == 2)  // one leaf, linked eight times, and the root
        let fake = FakeGateways(blocks: blocks, behaviours: ["http://a": .honest])
        let (out, _) = try await Self.retrieve(root, fake, ["http://a"], car: false)
        #expect(out == zeros)
        #expect(fake.requests.count == 2)
    }

    @Test func identityRootNeedsNoGateway() async throws {
        let fake = FakeGateways(blocks: [:], behaviours: [:])
        let (out, _) = try await Self.retrieve(CID.identity(Array("tiny".utf8)), fake, ["http://nowhere"])
        #expect(out == Array("tiny".utf8))
        #expect(fake.requests.isEmpty)
    }

    @Test func cacheServesTheSecondRound() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = BlockCache(directory: directory.path, maxBytes: 1 << 30)
        let (root, blocks, _) = FakeGateways.dag(Self.content)
        let first = FakeGateways(blocks: blocks, behaviours: ["http://a": .honest])
        _ = try await Self.retrieve(root, first, ["http://a"], cache: cache)
        let offline = FakeGateways(blocks: [:], behaviours: [:])
        let (out, _) = try await Self.retrieve(root, offline, ["http://a"], cache: cache)
        #expect(out == Self.content)
        #expect(offline.requests.isEmpty)

        // A damaged cache file is not believed: it is deleted and fetched again.
        let leaf = blocks.keys.first { BlockStore.key($0) != BlockStore.key(root.multihash) }!
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: cache.store.path(leaf)))
        let again = FakeGateways(blocks: blocks, behaviours: ["http://a": .honest])
        let (healed, _) = try await Self.retrieve(root, again, ["http://a"], car: false, cache: cache)
        #expect(healed == Self.content)
        #expect(again.requests.count == 1)

        // Trimming keeps the cache under its bound, oldest first.
        let small = BlockCache(directory: directory.path, maxBytes: 300_000)
        #expect(small.trim() > 0)
        #expect(small.trim() == 0)
    }

    @Test func localStoreWorksOfflineAndIsVerified() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = BlockStore(directory: directory.path)
        let (root, blocks, _) = FakeGateways.dag(Self.content, version: .v1)
        for (multihash, block) in blocks { try store.write(multihash, block) }
        let fake = FakeGateways(blocks: [:], behaviours: [:])
        let (out, _) = try await Self.retrieve(root, fake, ["file://\(directory.path)"])
        #expect(out == Self.content)
        // The same bytes under the CIDv0 name of the root find the same file.
        let v0 = try CID(version: .v0, codec: .dagPB, multihash: root.multihash)
        #expect(try await Self.retrieve(v0, fake, ["file://\(directory.path)"]).0 == Self.content)
        // A tampered store file is refused, and the store banned.
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: store.path(root.multihash)))
        await #expect {
            _ = try await Self.retrieve(root, fake, ["file://\(directory.path)"])
        } throws: { error in
            (error as? FetchError)?.exitStatus == .dataError
        }
    }
}

/// The one hedged race, on its own: who is asked when, who wins, what the failures are.
struct HedgedRaceTests {
    actor Asked {
        var indices: [Int] = []
        func add(_ index: Int) { indices.append(index) }
    }

    static let pool = GatewayPool(["http://a", "http://b", "http://c"].map { try! Gateway(parsing: $0) })

    static func lost(_ index: Int) -> GatewayFailure {
        GatewayFailure(gateway: "g\(index)", kind: .unavailable, message: "down")
    }

    @Test func aFastWinnerIsTheOnlyOneAsked() async {
        let asked = Asked()
        let (winner, failures) = await HedgedRace.run([2, 0, 1], pool: Self.pool, cap: 60) { index in
            await asked.add(index)
            return .won("from \(index)")
        }
        #expect(winner?.index == 2 && winner?.prize == "from 2")
        #expect(failures.isEmpty)
        #expect(await asked.indices == [2])
    }

    @Test func eachFailureHandsOverToTheNextInOrder() async {
        let asked = Asked()
        let (winner, failures) = await HedgedRace.run([0, 1, 2], pool: Self.pool, cap: 60) {
            (index: Int) -> HedgedRace.Attempt<Int> in
            await asked.add(index)
            return index == 2 ? .won(index) : .lost(Self.lost(index))
        }
        #expect(winner?.index == 2)
        #expect(failures == [Self.lost(0), Self.lost(1)])
        #expect(await asked.indices == [0, 1, 2])
    }

    @Test func allLosingGivesEveryFailure() async {
        let (winner, failures) = await HedgedRace.run([1, 0], pool: Self.pool, cap: 60) {
            (index: Int) -> HedgedRace.Attempt<Int> in .lost(Self.lost(index))
        }
        #expect(winner == nil)
        #expect(failures == [Self.lost(1), Self.lost(0)])
        let (none, nothing) = await HedgedRace.run([], pool: Self.pool, cap: 60) {
            (index: Int) -> HedgedRace.Attempt<Int> in .won(index)
        }
        #expect(none == nil && nothing.isEmpty)
    }

    /// A first gateway that never answers is raced by the second after the hedge delay (at most `cap`), and
    /// is cancelled once the second wins.
    @Test(.timeLimit(.minutes(1))) func aSilentFirstIsRacedAndCancelled() async {
        let asked = Asked()
        let (winner, failures) = await HedgedRace.run([0, 1], pool: Self.pool, cap: 0.25) {
            (index: Int) -> HedgedRace.Attempt<Int> in
            await asked.add(index)
            guard index == 0 else { return .won(index) }
            try? await Task.sleep(for: .seconds(3600))
            return .lost(GatewayFailure(gateway: "g0", kind: .unavailable, message: "cancelled"))
        }
        #expect(winner?.index == 1)
        #expect(failures.isEmpty)
        #expect(await asked.indices == [0, 1])
    }
}
