import Foundation
import Shared

/// `prty-runner status`: what the node on this machine is doing, from the `status.json` it keeps in its state
/// directory (registration, webhook, current task and stage, last heartbeat, outbox depth), checked against its
/// pid. Exit 0 while it runs, 69 when no node runs.
struct Status {
    static let command = Command(
        "status", summary: "show what the running node is doing (registration, task, heartbeat, outbox)",
        examples: ["prty-runner status", "prty-runner status --config-path /etc/prty/.env | jq .current_task"])

    static func run(_ invocation: Invocation) async throws {
        let settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        let stateDir = settings.path(.runnerStateDir)
        let path = stateDir + "/status.json"
        guard let data = FileManager.default.contents(atPath: path),
            case .object(var fields)? = try? JSONParser.parse([UInt8](data))
        else { throw RunnerError.notRunning("no node has run with the state directory \(stateDir) (no status.json)") }
        let pid = fields["pid"]?.intValue ?? 0
        let alive = pid > 0 && kill(pid_t(pid), 0) == 0 && fields["state"]?.stringValue != "stopped"
        if !alive { fields["state"] = "stopped" }
        let outbox = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir + "/outbox")) ?? [])
            .filter { !$0.hasPrefix(".") }.count
        let dead = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir + "/dead")) ?? [])
            .filter { !$0.hasPrefix(".") }.count
        fields["outbox_depth"] = .int(outbox)
        fields["dead_letters"] = .int(dead)
        Tool.writeStdout(JSON.object(fields).serialized(pretty: true) + "\n")
        guard alive else { throw RunnerError.notRunning("the node (pid \(pid)) is not running") }
    }
}

/// `prty-runner auth|stake|balance …`: the seed's commands, handed over to prty-wallet with the same words.
enum WalletHandOff {
    static let names = ["auth", "stake", "balance"]

    static func commands() -> [Command] {
        [
            Command(
                "auth", summary: "hand over to 'prty-wallet auth' (same flags)", maxPositionals: nil,
                examples: ["prty-runner auth --private-key 0x…"]),
            Command(
                "stake", summary: "hand over to 'prty-wallet stake' (same flags)", maxPositionals: nil,
                examples: ["prty-runner stake --amount 10"]),
            Command(
                "balance", summary: "hand over to 'prty-wallet balance' (same flags)", maxPositionals: nil,
                examples: ["prty-runner balance"]),
        ]
    }

    /// Replaces this process with prty-wallet when the first word (after a leading `--config-path FILE`) is one
    /// of `names`; returns otherwise.
    static func execIfWalletCommand(_ words: [String]) {
        var index = 0
        while index < words.count, words[index] == "--config-path" || words[index].hasPrefix("--config-path=") {
            index += words[index] == "--config-path" ? 2 : 1
        }
        guard index < words.count, names.contains(words[index]) else { return }
        do {
            let environment = ProcessInfo.processInfo.environment
            let binDir = NodeConfig.binDir(environment["PRTY_BIN_DIR"] ?? "")
            let wallet = binDir + "/prty-wallet"
            let argv = ["prty-wallet"] + Array(words[index...]) + Array(words[..<index])
            let pointers = argv.map { strdup($0) } + [nil]
            execv(wallet, pointers)
            Log.writeStderr(
                "prty-runner: cannot run \(wallet): \(String(cString: strerror(errno))) (set PRTY_BIN_DIR)\n")
            exit(ExitStatus.unavailable.rawValue)
        }
    }
}
