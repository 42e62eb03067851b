/// The gateways of one run and how they have done, as @helia/block-brokers scores them: reliability =
/// successes / (attempts + 3 · errors), 1 for a gateway not yet tried, and a gateway that served one invalid
/// block is banned for the rest of the run. Local block stores (`file://`) come first: they cost nothing.
/// It also keeps each gateway's typical latency, which decides when a slow request is raced by the next.
actor GatewayPool {
    struct Record: Sendable {
        var attempts = 0
        var successes = 0
        var errors = 0
        var banned = false
        /// Exponentially weighted mean of successful block latencies, seconds.
        var latency: Double? = nil

        var reliability: Double {
            if banned { return -.infinity }
            if attempts == 0 { return 1 }
            return Double(successes) / Double(attempts + 3 * errors)
        }
    }

    let gateways: [Gateway]
    private var records: [Record]
    /// Why each banned gateway was banned, for the final report.
    private(set) var bans: [String] = []

    init(_ gateways: [Gateway]) {
        self.gateways = gateways
        records = Array(repeating: Record(), count: gateways.count)
    }

    /// Gateways not banned, best first: local stores, then by reliability, ties in the order given.
    func ranked() -> [Int] {
        gateways.indices.filter { !records[$0].banned }.sorted { a, b in
            let localA = gateways[a].isLocal
            let localB = gateways[b].isLocal
            if localA != localB { return localA }
            let scoreA = records[a].reliability
            let scoreB = records[b].reliability
            return scoreA != scoreB ? scoreA > scoreB : a < b
        }
    }

    func record(_ index: Int) -> Record { records[index] }

    func isBanned(_ index: Int) -> Bool { records[index].banned }

    func began(_ index: Int) { records[index].attempts += 1 }

    func succeeded(_ index: Int, seconds: Double) {
        records[index].successes += 1
        let previous = records[index].latency ?? seconds
        records[index].latency = 0.8 * previous + 0.2 * seconds
    }

    func failed(_ index: Int) { records[index].errors += 1 }

    func ban(_ index: Int, reason: String) {
        guard !records[index].banned else { return }
        records[index].banned = true
        bans.append("\(gateways[index]) \(reason)")
    }

    /// How long to wait for a block from `index` before racing the next gateway: four times its usual latency,
    /// within [0.25 s, cap]; 2 s (at most `cap`) for a gateway not yet measured.
    func hedgeDelay(_ index: Int, cap: Double) -> Double {
        guard let latency = records[index].latency else { return min(cap, 2) }
        return min(cap, max(0.25, 4 * latency))
    }
}
