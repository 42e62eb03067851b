import Shared

/// `prty-exec`: runs one docker, command or llm task (the server's Task on stdin) and writes its Result.
@main
enum Exec {
    static let command = Command(
        "prty-exec", summary: "run a docker, command or llm task (Task on stdin) and write its Result on stdout",
        examples: [
            "prty-exec < task.json > result.json",
            "prty-exec models",
            "prty-exec pull smollm2:135m",
        ],
        subcommands: [RunTask.command, Models.command, Pull.command],
        defaultSubcommand: "run",
        discussion: """
            Docker and command tasks run in locked-down containers through the Docker Engine API (DOCKER_HOST); \
            command tasks run on the host only with RUNNER_COMMAND_SANDBOX=host. LLM tasks go to Ollama \
            (RUNNER_OLLAMA_URL) or an OpenAI-compatible server (RUNNER_LLM_BACKEND=openai, RUNNER_LLM_URL). \
            Exit 0 whenever a Result was written, whatever the task's own exit code (it is in the Result); \
            69 when the engine or backend is absent; 64/65 for a Task that cannot be run; 130 after writing \
            the Result of an interrupted task. See docs/exec.md.
            """)

    static func main() async {
        await Tool.run(command) { invocation in
            switch invocation.subcommand.first {
            case "models": try await Models(invocation).run()
            case "pull": try await Pull(invocation).run()
            default: try await RunTask(invocation).run()
            }
        }
    }
}
