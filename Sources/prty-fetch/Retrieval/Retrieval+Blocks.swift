import Shared

/// Phase 2 of a retrieval: whatever the CAR did not deliver, block by block (`?format=raw`), up to `window` at a
/// time: each from the cache, then local stores, then the HTTP gateways in a hedged race.
extension Retrieval {
    enum BlockResult: Sendable {
        case block(CID, [UInt8], source: String)
        case failed(CID, [GatewayFailure])
    }

    func blockPhase(
        _ root: CID, _ state: inout RetrievalState,
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
                    throw GatewayFailure.verdict(root: root, block: cid, failures: failures, notes: state.notes)
                }
            }
        }
    }

    /// One block: the cache, then local stores, then HTTP gateways by score, racing a slow one with the next.
    func fetchBlock(_ cid: CID) async -> BlockResult {
        if let cache, let block = cache.read(cid, maxBytes: options.maxBlockSize) {
            return .block(cid, block, source: "cache")
        }
        var failures = [GatewayFailure]()
        let ranked = await pool.ranked()
        for index in ranked where pool.gateways[index].isLocal {
            guard case .local(let store) = pool.gateways[index].kind else { continue }
            let name = pool.gateways[index].description
            do {
                guard let block = try store.read(cid.multihash, maxBytes: options.maxBlockSize) else {
                    failures.append(GatewayFailure(gateway: name, kind: .notFound, message: "does not hold \(cid)"))
                    continue
                }
                await pool.began(index)
                guard cid.verifies(block) else {
                    failures.append(await ban(index, "holds block \(cid) with content that does not match it"))
                    continue
                }
                await pool.succeeded(index, seconds: 0)
                return .block(cid, block, source: name)
            } catch {
                failures.append(GatewayFailure(gateway: name, kind: .unavailable, message: "\(error)"))
            }
        }
        let remote = ranked.filter { !pool.gateways[$0].isLocal }
        if remote.isEmpty { return .failed(cid, failures) }
        let (winner, lost) = await HedgedRace.run(remote, pool: pool, cap: options.hedgeCap) { index in
            await attempt(cid, at: index)
        }
        guard let (index, block) = winner else { return .failed(cid, failures + lost) }
        return .block(cid, block, source: pool.gateways[index].description)
    }

    /// One request for one block to one gateway, scored.
    private func attempt(_ cid: CID, at index: Int) async -> HedgedRace.Attempt<[UInt8]> {
        let gateway = pool.gateways[index]
        let name = gateway.description
        guard !(await pool.isBanned(index)),
            let request = gateway.blockRequest(cid, timeout: options.timeout, maxBytes: options.maxBlockSize)
        else {
            return .lost(GatewayFailure(gateway: name, kind: .unavailable, message: "banned earlier in this run"))
        }
        await pool.began(index)
        let started = Monotonic.seconds()
        do {
            let response = try await client.send(request)
            guard response.status == 200 else {
                await pool.failed(index)
                return .lost(GatewayFailure(name, status: response.status, what: "block \(cid)"))
            }
            let block = response.bytes
            guard cid.verifies(block) else {
                return .lost(await ban(index, "served block \(cid) with content that does not match it"))
            }
            await pool.succeeded(index, seconds: Monotonic.seconds() - started)
            return .won(block)
        } catch let error as HTTPError {
            if case .responseTooLarge = error {
                return .lost(await ban(index, "served more than \(options.maxBlockSize) bytes for block \(cid)"))
            }
            if !Task.isCancelled { await pool.failed(index) }
            return .lost(GatewayFailure(name, error))
        } catch {
            return .lost(GatewayFailure(gateway: name, kind: .unavailable, message: "\(error)"))
        }
    }
}
