import Foundation
import Shared

/// Retrieves one file's DAG from the gateways and hands its content, verified, to a sink in file order.
///
/// 1. The whole DAG is asked for as one CAR (`dag-scope=entity`) from the best HTTP gateway, the second best
///    joining the race when the first is slow to answer. Each section is checked as it arrives: its CID must be
///    the root or linked from a block already received (else the CAR carries an extra block), and its bytes
///    must hash to that CID (on the reading task, or on the other cores when there are more than two). A
///    gateway that fails either check is banned for the run. Verified blocks stay useful whatever happens next.
/// 2. Whatever the CAR did not deliver (it was truncated, incomplete, refused, or no gateway speaks CAR) is
///    fetched block by block (`?format=raw`), up to `window` at a time, each from the best-scoring gateway;
///    one that is slow is raced by the next (hedging), one that fails hands over to the next.
/// The local cache is read before any gateway and written with every verified block. `Assembly` decides what
/// is needed and refuses DAG bombs; nothing reaches the sink before its block is verified.
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
        /// Hash CAR blocks on other cores while the stream is read. With two cores or fewer one core is better
        /// left to the transfer: hashing each block as it arrives, while it is still in the cache, costs less
        /// than handing it to another core.
        var parallelVerification = Parallel.cores > 2
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

    /// One gateway's answer for one block, or why there was none.
    struct Failure: Sendable, Equatable, CustomStringConvertible {
        enum Kind: Sendable, Equatable { case notFound, unavailable, invalid }
        let gateway: String
        let kind: Kind
        let message: String
        var description: String { "\(gateway): \(message)" }
    }

    enum BlockResult: Sendable {
        case block(CID, [UInt8], source: String)
        case failed(CID, [Failure])
    }

    /// Retrieves `root`; `sink` receives the content in order (slices of the verified blocks, which it may keep),
    /// `expect` (if given) the declared size as soon as the root is read, so a caller can reserve memory.
    /// Throws `FetchError` (or `InterruptedError`).
    func run(
        _ root: CID, expect: ((UInt64) -> Void)? = nil,
        sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws -> Summary {
        var state = State(root: root, limits: options.limits, cache: cache, log: log)
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

    // MARK: - State of one retrieval

    struct State {
        var assembly: Assembly
        /// Verified blocks not yet consumed.
        var available: [Multihash: [UInt8]] = [:]
        var availableBytes = 0
        var recent = RecentBlocks(budget: 32 << 20)
        var cacheMisses = Set<Multihash>()
        var cacheFailed = false
        var summary = Summary()
        var progress: Progress
        let cache: BlockCache?
        /// Failures met so far, reported if the retrieval fails.
        var notes: [Failure] = []
        /// Told the declared size once, when the root has been read.
        var expect: ((UInt64) -> Void)? = nil

        init(root: CID, limits: Assembly.Limits, cache: BlockCache?, log: Log?) {
            assembly = Assembly(root: root, limits: limits)
            self.cache = cache
            progress = Progress(root: root.description, log: log)
        }

        /// A verified block for the assembly (kept until consumed) and the cache.
        mutating func receive(_ cid: CID, _ block: [UInt8], source: String, cacheWarning: (String) -> Void) {
            if source == "cache" {
                summary.fromCache += 1
            } else {
                if !summary.gateways.contains(source) { summary.gateways.append(source) }
                if let cache, !cacheFailed, let error = cache.write(cid, block) {
                    cacheFailed = true  // one warning, and no more attempts: the cache only saves time
                    cacheWarning("\(error)")
                }
            }
            guard available[cid.multihash] == nil else { return }
            available[cid.multihash] = block
            availableBytes += block.count
            progress.gateway = source
        }

        /// Consumes every block the assembly can use now, in order, writing content to `sink`.
        mutating func drain(_ sink: (ArraySlice<UInt8>) throws -> Void) throws {
            while let cid = assembly.next {
                try Interruption.check()
                let multihash = cid.multihash
                let block: [UInt8]
                if cid.isIdentity {
                    block = multihash.digest
                } else if let found = available.removeValue(forKey: multihash) {
                    availableBytes -= found.count
                    block = found
                } else if let found = recent.get(multihash) {
                    block = found
                } else if let cache, !cacheMisses.contains(multihash),
                    let found = cache.read(cid, maxBytes: Int.max)
                {
                    summary.fromCache += 1
                    block = found
                } else {
                    if cache != nil { cacheMisses.insert(multihash) }
                    return
                }
                let range = try block.withUnsafeBytes { try assembly.consume($0) }
                try sink(block[range])  // a slice: the block's storage is shared, not copied
                summary.bytes += UInt64(range.count)
                summary.blocks += 1
                progress.advance(bytes: UInt64(range.count), total: assembly.declaredSize)
                if !cid.isIdentity { recent.put(multihash, block) }
                if let expect, let size = assembly.declaredSize {
                    expect(size)
                    self.expect = nil
                }
            }
        }

        /// Whether `cid` still has to be fetched.
        func needs(_ cid: CID) -> Bool {
            !cid.isIdentity && available[cid.multihash] == nil && !recent.contains(cid.multihash)
        }
    }

    // MARK: - Phase 1: one CAR

    private enum CARFailure: Error {
        /// The gateway sent something it must not: a bad block, an extra block, broken framing.
        case lied(String)
        case incomplete(String)
    }

    private func carPhase(
        _ root: CID, _ state: inout State,
        _ sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws {
        let candidates = Array(await pool.ranked().filter { !pool.gateways[$0].isLocal }.prefix(2))
        guard !candidates.isEmpty else { return }
        let (opened, failures) = await openCAR(root, candidates)
        state.notes += failures
        guard let (index, response) = opened else { return }
        let gateway = pool.gateways[index].description
        let started = ContinuousClock.now
        do {
            try await receiveCAR(root, response, gateway, &state, sink)
            if state.assembly.isComplete {
                await pool.succeeded(index, seconds: Self.seconds(since: started))
            } else {
                throw CARFailure.incomplete("its CAR ended without every block of \(root)")
            }
        } catch let failure as CARFailure {
            switch failure {
            case .lied(let why):
                await pool.ban(index, reason: why)
                state.notes.append(Failure(gateway: gateway, kind: .invalid, message: why))
                log?.warning(
                    "gateway_banned", "\(gateway) \(why); not using it again in this run",
                    ["gateway": .string(gateway)])
            case .incomplete(let why):
                await pool.failed(index)
                state.notes.append(Failure(gateway: gateway, kind: .unavailable, message: why))
            }
        }
        // Anything else (content the assembly refused, a failing sink, an interruption) ends the retrieval.
    }

    private enum Opening: Sendable {
        case opened(Int, HTTPStreamingResponse)
        case failed(Int, Failure)
        case hedge
    }

    /// Asks the best gateway for the CAR and, if its answer has not begun within its hedge delay, the second best
    /// too: the first to answer 200 with a CAR wins and the other request is cancelled (its attempt still counts,
    /// as helia counts out-raced ones). A stalled or slow first gateway therefore costs seconds, not the timeout.
    private func openCAR(_ root: CID, _ candidates: [Int]) async -> ((Int, HTTPStreamingResponse)?, [Failure]) {
        await withTaskGroup(of: Opening.self) { group in
            var failures = [Failure]()
            var next = 0
            var running = 0
            func launch() async {
                let index = candidates[next]
                next += 1
                running += 1
                guard let request = pool.gateways[index].carRequest(root, timeout: options.timeout) else {
                    running -= 1
                    return
                }
                let name = pool.gateways[index].description
                await pool.began(index)
                group.addTask {
                    do {
                        let response = try await client.stream(request)
                        guard response.status == 200 else {
                            return .failed(
                                index, Self.failure(name, status: response.status, what: "the CAR of \(root)"))
                        }
                        let type = response.header("Content-Type")?.lowercased() ?? ""
                        guard type.hasPrefix("application/vnd.ipld.car") else {
                            let message = "answered a CAR request with '\(type)'"
                            return .failed(index, Failure(gateway: name, kind: .unavailable, message: message))
                        }
                        return .opened(index, response)
                    } catch let error as HTTPError {
                        return .failed(index, Self.failure(name, error))
                    } catch {
                        return .failed(index, Failure(gateway: name, kind: .unavailable, message: "\(error)"))
                    }
                }
                if next < candidates.count {
                    let delay = await pool.hedgeDelay(index, cap: max(0.25, options.timeout / 4))
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                        return .hedge
                    }
                }
            }
            await launch()
            while let outcome = await group.next() {
                switch outcome {
                case .opened(let index, let response):
                    group.cancelAll()
                    return ((index, response), failures)
                case .failed(let index, let failure):
                    running -= 1
                    failures.append(failure)
                    await pool.failed(index)
                    if next < candidates.count {
                        await launch()
                    } else if running == 0 {
                        group.cancelAll()
                        return (nil, failures)
                    }
                case .hedge:
                    if next < candidates.count && running > 0 && !Task.isCancelled { await launch() }
                }
            }
            return (nil, failures)
        }
    }

    private func receiveCAR(
        _ root: CID, _ response: HTTPStreamingResponse, _ gateway: String, _ state: inout State,
        _ sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws {
        var reader = CARReader(maxSection: options.maxBlockSize + 128)
        var expected: Set<Multihash> = [root.multihash]
        var checkedRoots = false
        let maxBuffered = max(64 << 20, options.window * options.maxBlockSize)
        try await withThrowingTaskGroup(of: (CID, [UInt8], Bool).self) { group in
            var verifying = 0
            func settle(_ result: (CID, [UInt8], Bool)) throws {
                let (cid, block, valid) = result
                guard valid else { throw CARFailure.lied("served block \(cid) with content that does not match it") }
                state.receive(cid, block, source: gateway) { warnCache($0) }
                try state.drain(sink)
                guard state.availableBytes <= maxBuffered else {
                    throw CARFailure.incomplete("its CAR is not in depth-first order")
                }
            }
            var stranger: CID? = nil  // a block that is not part of the DAG: the CAR is refused from there on
            do {
                reading: for try await chunk in response.body {
                    try Interruption.check()
                    let sections: [CARReader.Section]
                    do {
                        sections = try chunk.withUnsafeBytes { try reader.feed($0) }
                    } catch let error as CARError {
                        throw CARFailure.lied("sent a broken CAR (\(error))")
                    }
                    if !checkedRoots, let roots = reader.roots {
                        checkedRoots = true
                        guard roots.contains(where: { $0.multihash == root.multihash }) else {
                            throw CARFailure.lied("sent a CAR for other roots (\(roots.map(\.description)))")
                        }
                    }
                    for section in sections {
                        guard expected.contains(section.cid.multihash) else {
                            stranger = section.cid
                            break reading
                        }
                        if section.cid.codec == .dagPB {
                            // Links of a block not yet verified only widen what may follow; a bad block ends it all.
                            let links = section.block.withUnsafeBytes {
                                try? DagPBNode.parse($0, maxLinks: options.limits.maxLinks).0
                            }
                            for link in links ?? [] { expected.insert(link.cid.multihash) }
                        }
                        let cid = section.cid
                        let block = section.block
                        guard options.parallelVerification else {
                            try settle((cid, block, cid.verifies(block)))
                            continue
                        }
                        group.addTask { (cid, block, cid.verifies(block)) }
                        verifying += 1
                        if verifying >= 2 * Parallel.cores, let result = try await group.next() {
                            verifying -= 1
                            try settle(result)
                        }
                    }
                }
            } catch let error as HTTPError {
                throw CARFailure.incomplete("its CAR broke off (\(error))")
            }
            // Blocks verified before the stranger stay: whether they complete the file does not depend on how
            // many were still being hashed when it came.
            while let result = try await group.next() { try settle(result) }
            if let stranger {
                throw CARFailure.lied("sent block \(stranger), which is not part of \(root)")
            }
            do {
                try reader.finish()
            } catch {
                throw CARFailure.incomplete("\(error)")
            }
        }
    }

    // MARK: - Phase 2: block by block

    private func blockPhase(
        _ root: CID, _ state: inout State,
        _ sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: BlockResult.self) { group in
            var inFlight = Set<Multihash>()
            while true {
                try state.drain(sink)
                if state.assembly.isComplete { break }
                for cid in state.assembly.upcoming(options.window) where inFlight.count < options.window {
                    guard state.needs(cid), !inFlight.contains(cid.multihash) else { continue }
                    inFlight.insert(cid.multihash)
                    group.addTask { await fetchBlock(cid) }
                }
                guard let result = try await group.next() else {
                    throw FetchError.badContent("internal: \(root) is incomplete with nothing left to fetch")
                }
                switch result {
                case .block(let cid, let block, let source):
                    inFlight.remove(cid.multihash)
                    state.receive(cid, block, source: source) { warnCache($0) }
                case .failed(let cid, let failures):
                    group.cancelAll()
                    throw Self.error(root: root, block: cid, failures: failures, notes: state.notes)
                }
            }
        }
    }

    /// One block: the cache, then local stores, then HTTP gateways by score, racing a slow one with the next.
    func fetchBlock(_ cid: CID) async -> BlockResult {
        if let cache, let block = cache.read(cid, maxBytes: options.maxBlockSize) {
            return .block(cid, block, source: "cache")
        }
        var failures = [Failure]()
        let ranked = await pool.ranked()
        for index in ranked where pool.gateways[index].isLocal {
            guard case .local(let store) = pool.gateways[index].kind else { continue }
            let name = pool.gateways[index].description
            do {
                guard let block = try store.read(cid.multihash, maxBytes: options.maxBlockSize) else {
                    failures.append(Failure(gateway: name, kind: .notFound, message: "does not hold \(cid)"))
                    continue
                }
                await pool.began(index)
                guard cid.verifies(block) else {
                    let why = "holds block \(cid) with content that does not match it"
                    await pool.ban(index, reason: why)
                    failures.append(Failure(gateway: name, kind: .invalid, message: why))
                    continue
                }
                await pool.succeeded(index, seconds: 0)
                return .block(cid, block, source: name)
            } catch {
                failures.append(Failure(gateway: name, kind: .unavailable, message: "\(error)"))
            }
        }
        let remote = ranked.filter { !pool.gateways[$0].isLocal }
        if remote.isEmpty { return .failed(cid, failures) }
        return await race(cid, remote, failures)
    }

    private enum Attempt: Sendable {
        case block([UInt8], gateway: Int)
        case failed(Failure)
        case hedge
    }

    /// Asks `remote[0]`; whenever an attempt fails, or is slower than its gateway usually is, asks the next too.
    /// The first valid block wins and the others are cancelled.
    private func race(_ cid: CID, _ remote: [Int], _ earlier: [Failure]) async -> BlockResult {
        var failures = earlier
        return await withTaskGroup(of: Attempt.self) { group in
            var next = 0
            var running = 0
            func launch() async {
                let index = remote[next]
                next += 1
                running += 1
                group.addTask { await attempt(cid, index) }
                if next < remote.count {
                    let delay = await pool.hedgeDelay(index, cap: max(0.25, options.timeout / 4))
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                        return .hedge
                    }
                }
            }
            await launch()
            while let outcome = await group.next() {
                switch outcome {
                case .block(let block, let index):
                    group.cancelAll()
                    return .block(cid, block, source: pool.gateways[index].description)
                case .failed(let failure):
                    running -= 1
                    failures.append(failure)
                    if next < remote.count {
                        await launch()
                    } else if running == 0 {
                        group.cancelAll()
                        return .failed(cid, failures)
                    }
                case .hedge:
                    if next < remote.count && running > 0 && !Task.isCancelled { await launch() }
                }
            }
            return .failed(cid, failures)
        }
    }

    /// One request for one block to one gateway, scored.
    private func attempt(_ cid: CID, _ index: Int) async -> Attempt {
        let gateway = pool.gateways[index]
        let name = gateway.description
        guard !(await pool.isBanned(index)),
            let request = gateway.blockRequest(cid, timeout: options.timeout, maxBytes: options.maxBlockSize)
        else {
            return .failed(Failure(gateway: name, kind: .unavailable, message: "banned earlier in this run"))
        }
        await pool.began(index)
        let started = ContinuousClock.now
        do {
            let response = try await client.send(request)
            guard response.status == 200 else {
                await pool.failed(index)
                return .failed(Self.failure(name, status: response.status, what: "block \(cid)"))
            }
            let block = response.bytes
            guard cid.verifies(block) else {
                let why = "served block \(cid) with content that does not match it"
                await pool.ban(index, reason: why)
                log?.warning(
                    "gateway_banned", "\(name) \(why); not using it again in this run",
                    ["gateway": .string(name)])
                return .failed(Failure(gateway: name, kind: .invalid, message: why))
            }
            await pool.succeeded(index, seconds: Self.seconds(since: started))
            return .block(block, gateway: index)
        } catch let error as HTTPError {
            if case .responseTooLarge = error {
                let why = "served more than \(options.maxBlockSize) bytes for block \(cid)"
                await pool.ban(index, reason: why)
                return .failed(Failure(gateway: name, kind: .invalid, message: why))
            }
            if !Task.isCancelled { await pool.failed(index) }
            return .failed(Self.failure(name, error))
        } catch {
            return .failed(Failure(gateway: name, kind: .unavailable, message: "\(error)"))
        }
    }

    // MARK: - Errors

    static func failure(_ gateway: String, _ error: HTTPError) -> Failure {
        if case .status(let code, _, _) = error { return failure(gateway, status: code, what: "the request") }
        return Failure(gateway: gateway, kind: .unavailable, message: "\(error)")
    }

    static func failure(_ gateway: String, status: Int, what: String) -> Failure {
        switch status {
        case 404, 410: Failure(gateway: gateway, kind: .notFound, message: "HTTP \(status) (does not have \(what))")
        default: Failure(gateway: gateway, kind: .unavailable, message: "HTTP \(status) for \(what)")
        }
    }

    /// The run's error once `block` could not be had, judged by what the gateways said about that block:
    /// not found everywhere (66), bad everywhere it was found (65), or some gateway timed out or failed (75:
    /// retrying may help). Of `notes` (what went wrong with the CAR), bans count too; the rest only add to the
    /// message.
    static func error(root: CID, block: CID, failures: [Failure], notes: [Failure] = []) -> FetchError {
        let name = block.multihash == root.multihash ? root.description : "block \(block) of \(root)"
        let messages = (notes + failures).map(\.description)
        // A gateway banned for lying in this run is a gateway that served bad content: it counts.
        let judged = failures + notes.filter { $0.kind == .invalid }
        if judged.isEmpty {
            return .noValidBlock(cid: name, attempts: messages + ["no usable gateway is left"])
        }
        if judged.allSatisfy({ $0.kind == .notFound }) { return .notFound(cid: name, attempts: messages) }
        if judged.contains(where: { $0.kind == .unavailable }) { return .unavailable(cid: name, attempts: messages) }
        return .noValidBlock(cid: name, attempts: messages)
    }

    private func warnCache(_ message: String) {
        log?.warning("cache_write_failed", "cannot write to the block cache: \(message); continuing without it")
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
