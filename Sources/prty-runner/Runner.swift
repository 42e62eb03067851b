import Foundation
import Shared

/// `prty-runner`: the daemon that joins the network.
@main
enum Runner {
    static let node = Command(
        "runner", summary: "start the node: listen, register, heartbeat, run the tasks the server sends",
        options: [
            Option("server-url", value: .single("URL"), help: "the server's origin; env RUNNER_SERVER_URL"),
            Option("port", value: .single("N"), help: "webhook port (0 = any free port); env RUNNER_WEBHOOK_PORT"),
            Option(
                "models", value: .single("TAG,TAG…"),
                help: "model tags to offer the server (exact, e.g. llama2:7b); env RUNNER_LLM_MODELS"),
            Option(
                "webhook-url", value: .single("URL"),
                help: "the URL to register instead of http://127.0.0.1:PORT/webhook (a proxy or tunnel in front)"),
        ],
        examples: [
            "prty-runner", "prty-runner runner --config-path .env", "prty-runner --server-url http://server:8080",
        ],
        discussion: """
            Listens on RUNNER_WEBHOOK_PORT, registers with RUNNER_SERVER_URL (with the device id and the wallet
            address from prty-wallet), heartbeats every RUNNER_HEARTBEAT_INTERVAL, and runs one task at a time
            through prty-exec or prty-fetch | prty-partition | prty-train. Results wait in a durable outbox under
            RUNNER_STATE_DIR until the server accepts them. SIGINT/SIGTERM: finish or cancel the current task within
            RUNNER_SHUTDOWN_GRACE, flush the outbox, unregister, exit 0; a second signal exits 130 at once.
            """)

    static let command = Command(
        "prty-runner",
        summary: "the node daemon: registers, heartbeats, takes tasks and pipes the tools together",
        examples: ["prty-runner", "prty-runner run task.json", "prty-runner status"],
        subcommands: [node, LocalRun.command, Status.command] + WalletHandOff.commands(),
        defaultSubcommand: "runner")

    static func main() async {
        let words = Array(CommandLine.arguments.dropFirst())
        WalletHandOff.execIfWalletCommand(words)  // `auth --help` is prty-wallet's help too
        await Tool.run(command) { invocation in
            switch invocation.subcommand.first {
            case "run": try await LocalRun.run(invocation)
            case "status": try await Status.run(invocation)
            default: try await NodeCommand.run(invocation)
            }
        }
    }
}

/// The node, from its settings: identity, wallet, then `Node.run`.
enum NodeCommand {
    static func run(_ invocation: Invocation) async throws {
        let settings = try Settings.load(arguments: invocation.arguments, log: invocation.log)
        let config = try NodeConfig.load(settings)
        let deviceID = try DeviceID.resolve(settings: settings)
        let wallet = try await WalletAddress.read(config)
        let node = try Node(config: config, deviceID: deviceID, wallet: wallet, log: invocation.log)
        try await node.run()
    }
}
