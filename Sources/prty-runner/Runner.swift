import Shared

/// `prty-runner`: the daemon that joins the network.
@main
enum Runner {
    static let command = Command(
        "prty-runner",
        summary: "the node daemon: registers, heartbeats, takes tasks and pipes the tools together (not built yet: no command is available)",
        examples: ["prty-runner --version"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-runner has no commands yet; see 'prty-runner --help'")
        }
    }
}
