/// The hedged race both retrieval phases run (for the CAR and for each block): ask the best gateway; whenever
/// an attempt fails, or has not answered within its gateway's hedge delay (`GatewayPool.hedgeDelay`), ask the
/// next one too. The first attempt that wins ends the race and the others are cancelled (an out-raced attempt
/// still counted as one, as helia counts them). A stalled or slow first gateway therefore costs seconds, not
/// the timeout. The attempt itself talks to the gateway and scores it in the pool; the race only schedules.
enum HedgedRace {
    /// How one attempt at one gateway ended.
    enum Attempt<Prize: Sendable>: Sendable {
        case won(Prize)
        case lost(GatewayFailure)
    }

    /// Runs `attempt` on `candidates` (pool indices, best first) until one wins. Returns the winner, if any, and
    /// the failures met on the way. `cap` bounds each hedge delay.
    static func run<Prize: Sendable>(
        _ candidates: [Int], pool: GatewayPool, cap: Double,
        _ attempt: @escaping @Sendable (Int) async -> Attempt<Prize>
    ) async -> (winner: (index: Int, prize: Prize)?, failures: [GatewayFailure]) {
        await withTaskGroup(of: Event<Prize>.self) { group in
            var failures = [GatewayFailure]()
            var next = 0
            var running = 0
            func launch() async {
                let index = candidates[next]
                next += 1
                running += 1
                group.addTask { .ended(index, await attempt(index)) }
                if next < candidates.count {
                    let delay = await pool.hedgeDelay(index, cap: cap)
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                        return .hedge
                    }
                }
            }
            guard !candidates.isEmpty else { return (nil, failures) }
            await launch()
            while let event = await group.next() {
                switch event {
                case .ended(let index, .won(let prize)):
                    group.cancelAll()
                    return ((index, prize), failures)
                case .ended(_, .lost(let failure)):
                    running -= 1
                    failures.append(failure)
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

    private enum Event<Prize: Sendable>: Sendable {
        case ended(Int, Attempt<Prize>)
        case hedge
    }
}
