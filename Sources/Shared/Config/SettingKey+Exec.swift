/// What prty-exec reads: the limits every docker and command task runs under, where the Docker engine and the
/// LLM backend are, and how long each may take. A task's own `config.resources` may tighten the limits, never
/// loosen them (docs/exec.md).
extension SettingKey {
    public static let runnerDockerMemoryLimit = SettingKey(
        "RUNNER_DOCKER_MEMORY_LIMIT", .size, default: "512m",
        doc: "memory (and memory+swap) limit of every task container; host commands get it as address space")
    public static let runnerDockerCpuLimit = SettingKey(
        "RUNNER_DOCKER_CPU_LIMIT", .string, default: "1.0",
        doc: "CPUs a task container may use (a decimal such as 0.5 or 2)")
    public static let runnerDockerPidsLimit = SettingKey(
        "RUNNER_DOCKER_PIDS_LIMIT", .int(minimum: 1), default: "256",
        doc: "most processes a task container (or a host command's user) may have at once")
    public static let runnerDockerNetwork = SettingKey(
        "RUNNER_DOCKER_NETWORK", .string, default: "none",
        doc: "network of task containers: none (no network at all), or a Docker network such as bridge or host")
    public static let runnerDockerTimeout = SettingKey(
        "RUNNER_DOCKER_TIMEOUT", .duration, default: "10m",
        doc: "how long pulling or loading a task's image may take (separate from the execution timeout)")
    public static let runnerExecutionTimeout = SettingKey(
        "RUNNER_EXECUTION_TIMEOUT", .duration, default: "10m",
        doc: "longest a docker or command task may run before it is stopped (a task may ask for less)")
    public static let runnerMaxOutputBytes = SettingKey(
        "RUNNER_MAX_OUTPUT_BYTES", .size, default: "1m",
        doc: "most output a Result carries; beyond it the head and the tail are kept and the cut is marked")
    public static let runnerCommandSandbox = SettingKey(
        "RUNNER_COMMAND_SANDBOX", .choice(["docker", "host"]), default: "docker",
        doc: "where command tasks run: docker (a locked-down container) or host (opt-in: a scrubbed environment, "
            + "rlimits, its own process group)")
    public static let runnerCommandImage = SettingKey(
        "RUNNER_COMMAND_IMAGE", .string, default: "busybox:latest",
        doc: "the image command tasks run in when RUNNER_COMMAND_SANDBOX=docker")
    public static let runnerOllamaUrl = SettingKey(
        "RUNNER_OLLAMA_URL", .url, default: "http://127.0.0.1:11434",
        doc: "the Ollama API for llm tasks (OLLAMA_HOST is honoured when this is not set)")
    public static let runnerLlmBackend = SettingKey(
        "RUNNER_LLM_BACKEND", .choice(["ollama", "openai"]), default: "ollama",
        doc: "which API llm tasks use: ollama (RUNNER_OLLAMA_URL) or openai (RUNNER_LLM_URL: llama.cpp, vLLM)")
    public static let runnerLlmUrl = SettingKey(
        "RUNNER_LLM_URL", .string, default: "",
        doc: "origin of the OpenAI-compatible backend (http://host:port, without /v1) when RUNNER_LLM_BACKEND=openai")
    public static let runnerLlmApiKey = SettingKey(
        "RUNNER_LLM_API_KEY", .string, default: "",
        doc: "bearer token for the OpenAI-compatible backend, if it asks for one", isSecret: true)
    public static let runnerLlmFirstTokenTimeout = SettingKey(
        "RUNNER_LLM_FIRST_TOKEN_TIMEOUT", .duration, default: "5m",
        doc: "how long an llm task may wait for its first token (a cold model load happens here)")
    public static let runnerLlmTokenTimeout = SettingKey(
        "RUNNER_LLM_TOKEN_TIMEOUT", .duration, default: "60s",
        doc: "longest pause between two streamed tokens before the generation is abandoned")

    static let execKeys: [SettingKey] = [
        .runnerDockerMemoryLimit, .runnerDockerCpuLimit, .runnerDockerPidsLimit, .runnerDockerNetwork,
        .runnerDockerTimeout, .runnerExecutionTimeout, .runnerMaxOutputBytes, .runnerCommandSandbox,
        .runnerCommandImage, .runnerOllamaUrl, .runnerLlmBackend, .runnerLlmUrl, .runnerLlmApiKey,
        .runnerLlmFirstTokenTimeout, .runnerLlmTokenTimeout,
    ]
}
