import Foundation
import Shared

/// Retrieves one file's DAG from the gateways and hands its content, verified, to a sink in file order.
///
/// 1. The whole DAG is asked for as one CAR (`dag-scope=entity`) from the best HTTP gateway, the second best
///    joining the race when the first is slow to answer (`Retrieval+CAR.swift`). Each section is checked as it
///    arrives: its CID must be the root or linked from a block already received (else the CAR carries an extra
///    block), and its bytes must hash to that CID (a batch of blocks at a time on every core). A gateway that
///    fails either check is banned for the run. Verified blocks stay useful whatever happens next.
/// 2. Whatever the CAR did not deliver (it was truncated, incomplete, refused, or no gateway speaks CAR) is
///    fetched block by block (`?format=raw`), up to `window` at a time, each from the best-scoring gateway;
///    one that is slow is raced by the next, one that fails hands over to the next (`Retrieval+Blocks.swift`).
/// Both phases race gateways the same way (`HedgedRace`). The local cache is read before any gateway and
/// written with every verified block. `Assembly` decides what is needed and refuses DAG bombs; nothing reaches
/// the sink before its block is verified.
struct Retrieval: Sendable {
    struct Options: Sendable {
        /// Seconds a block request may take; for a CAR, seconds without a byte.
        var timeout: Double = 60
        var limits: Assembly.Limits
        /// The largest block accepted (kubo's limit is 2 MiB; 4 MiB leaves room for other importers).
        var maxBlockSize = 4 << 20
        /// Blocks fetched at once in the per-block phase.
        var window = 16
        /// Try a CAR first.
        var useCAR = true
        /// Hash CAR blocks in batches on every core (`Parallel.forEach`); otherwise each block as it arrives, on
        /// the reading task.
        var parallelVerification = Parallel.cores > 1

        /// How long to wait for a slow gateway before racing the next one, at most.
        var hedgeCap: Double { max(0.25, timeout / 4) }
    }

    /// What a retrieval did, for the closing log line.
    struct Summary: Sendable, Equatable {
        var bytes: UInt64 = 0
        var blocks = 0
        var fromCache = 0
        var gateways: [String] = []
    }

    let pool: GatewayPool
    let client: HTTPClient
    let cache: BlockCache?
    let options: Options
    let log: Log?

    init(pool: GatewayPool, client: HTTPClient, cache: BlockCache?, options: Options, log: Log? = nil) {
        self.pool = pool
        self.client = client
        self.cache = cache
        self.options = options
        self.log = log
    }

    /// Retrieves `root`; `sink` receives the content in order (slices of the verified blocks, which it may keep),
    /// `expect` (if given) the declared size as soon as the root is read, so a caller can reserve memory.
    /// Throws `FetchError` (or `InterruptedError`).
    func run(
        _ root: CID, expect: ((UInt64) -> Void)? = nil,
        sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws -> Summary {
        var state = RetrievalState(root: root, limits: options.limits, cache: cache, log: log)
        state.expect = expect
        try state.drain(sink)
        if !state.assembly.isComplete && options.useCAR {
            try await carPhase(root, &state, sink)
        }
        if !state.assembly.isComplete {
            try await blockPhase(root, &state, sink)
        }
        state.progress.finish()
        return state.summary
    }

    /// Bans the gateway at `index` for serving something it must not, and says so once.
    func ban(_ index: Int, _ why: String) async -> GatewayFailure {
        let name = pool.gateways[index].description
        await pool.ban(index, reason: why)
        log?.warning("gateway_banned", "\(name) \(why); not using it again in this run", ["gateway": .string(name)])
        return GatewayFailure(gateway: name, kind: .invalid, message: why)
    }

    func warnCache(_ message: String) {
        log?.warning("cache_write_failed", "cannot write to the block cache: \(message); continuing without it")
    }
}
