import Shared

/// Phase 1 of a retrieval: the whole DAG as one CAR (`?format=car&dag-scope=entity`) from the first gateway of
/// a hedged race to answer, each section checked against the DAG and its CID before it reaches the assembly.
extension Retrieval {
    /// Why a CAR stopped being read.
    private enum CARFailure: Error {
        /// The gateway sent something it must not: a bad block, an extra block, broken framing.
        case lied(String)
        case incomplete(String)
    }

    /// The CAR phase ends without error whenever the CAR fails (the block phase fetches what is missing); anything
    /// else (content the assembly refused, a failing sink, an interruption) ends the retrieval.
    func carPhase(
        _ root: CID, _ state: inout RetrievalState,
        _ sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws {
        let candidates = Array(await pool.ranked().filter { !pool.gateways[$0].isLocal }.prefix(2))
        let (winner, failures) = await HedgedRace.run(candidates, pool: pool, cap: options.hedgeCap) { index in
            await openCAR(root, at: index)
        }
        state.notes += failures
        guard let (index, response) = winner else { return }
        let gateway = pool.gateways[index].description
        let started = Monotonic.seconds()
        do {
            try await receiveCAR(root, response, gateway, &state, sink)
            guard state.assembly.isComplete else {
                throw CARFailure.incomplete("its CAR ended without every block of \(root)")
            }
            await pool.succeeded(index, seconds: Monotonic.seconds() - started)
        } catch let failure as CARFailure {
            switch failure {
            case .lied(let why):
                state.notes.append(await ban(index, why))
            case .incomplete(let why):
                await pool.failed(index)
                state.notes.append(GatewayFailure(gateway: gateway, kind: .unavailable, message: why))
            }
        }
    }

    /// One gateway's answer to the CAR request: won when it is 200 with a CAR content type.
    private func openCAR(_ root: CID, at index: Int) async -> HedgedRace.Attempt<HTTPStreamingResponse> {
        let name = pool.gateways[index].description
        guard let request = pool.gateways[index].carRequest(root, timeout: options.timeout) else {
            return .lost(GatewayFailure(gateway: name, kind: .unavailable, message: "does not serve CARs"))
        }
        await pool.began(index)
        let failure: GatewayFailure
        do {
            let response = try await client.stream(request)
            let type = response.header("Content-Type")?.lowercased() ?? ""
            if response.status != 200 {
                failure = GatewayFailure(name, status: response.status, what: "the CAR of \(root)")
            } else if !type.hasPrefix("application/vnd.ipld.car") {
                let message = "answered a CAR request with '\(type)'"
                failure = GatewayFailure(gateway: name, kind: .unavailable, message: message)
            } else {
                return .won(response)
            }
        } catch let error as HTTPError {
            failure = GatewayFailure(name, error)
        } catch {
            failure = GatewayFailure(gateway: name, kind: .unavailable, message: "\(error)")
        }
        if !Task.isCancelled { await pool.failed(index) }  // an out-raced attempt is not the gateway's fault
        return .lost(failure)
    }

    /// Reads the CAR: frames sections, admits only blocks of the DAG, verifies them (in order, a batch at a time
    /// on every core) and hands them to the state, which drains whatever the assembly can use into the sink.
    private func receiveCAR(
        _ root: CID, _ response: HTTPStreamingResponse, _ gateway: String, _ state: inout RetrievalState,
        _ sink: (ArraySlice<UInt8>) throws -> Void
    ) async throws {
        var reader = CARReader(maxSection: options.maxBlockSize + 128)
        var expected: Set<Multihash> = [root.multihash]
        var checkedRoots = false
        let maxBuffered = max(64 << 20, options.window * options.maxBlockSize)
        // Blocks read but not yet verified; verified together once they are worth a trip to every core.
        var batch = [CARReader.Section]()
        var batchBytes = 0
        let batchLimit = options.parallelVerification ? max(1 << 20, Parallel.cores << 19) : 0

        func settle(_ cid: CID, _ block: [UInt8], valid: Bool) throws {
            guard valid else { throw CARFailure.lied("served block \(cid) with content that does not match it") }
            state.receive(cid, block, source: gateway) { warnCache($0) }
            try state.drain(sink)
            guard state.availableBytes <= maxBuffered else {
                throw CARFailure.incomplete("its CAR is not in depth-first order")
            }
        }
        /// Verifies the batch on every core and settles it in CAR order, so the outcome (which block is the
        /// first bad one, what reaches the sink when) never depends on scheduling.
        func verifyBatch() throws {
            guard !batch.isEmpty else { return }
            let sections = batch
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
            var failure: (any Error)? = nil
            Parallel.forEach(sections.count, { sections[$0].cid.verifies(sections[$0].block) }) { index, valid in
                guard failure == nil else { return }
                do { try settle(sections[index].cid, sections[index].block, valid: valid) } catch { failure = error }
            }
            if let failure { throw failure }
        }

        var stranger: CID? = nil  // a block that is not part of the DAG: the CAR is refused from there on
        var brokeOff: HTTPError? = nil
        do {
            reading: for try await chunk in response.body {
                try Interruption.check()
                let sections: [CARReader.Section]
                do {
                    sections = try chunk.withUnsafeBytes { try reader.feed($0) }
                } catch let error as FetchError {
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
                    guard batchLimit > 0 else {
                        try settle(section.cid, section.block, valid: section.cid.verifies(section.block))
                        continue
                    }
                    batch.append(section)
                    batchBytes += section.block.count
                    if batchBytes >= batchLimit || batch.count >= 64 * Parallel.cores { try verifyBatch() }
                }
            }
        } catch let error as HTTPError {
            brokeOff = error
        }
        // Blocks read before the stranger or the break stay: they are verified and kept like any other.
        try verifyBatch()
        if let stranger {
            throw CARFailure.lied("sent block \(stranger), which is not part of \(root)")
        }
        if let brokeOff {
            throw CARFailure.incomplete("its CAR broke off (\(brokeOff))")
        }
        do {
            try reader.finish()
        } catch {
            throw CARFailure.incomplete("\(error)")
        }
    }
}
