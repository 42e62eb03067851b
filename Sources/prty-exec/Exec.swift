import Shared

/// `prty-exec`: runs docker, command and llm tasks.
@main
enum Exec {
    static let command = Command(
        "prty-exec",
        summary: "runs a docker, command or llm task and writes its Result (not built yet: no command is available)",
        examples: ["prty-exec --version"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-exec has no commands yet; see 'prty-exec --help'")
        }
    }
}
