import Shared

/// Why prty-exec wrote no Result, or why a task failed. A task that failed is not an error of the tool: the cases
/// marked "task" are caught and become the Result's `error` (exit 0); they exit 1 only if one escapes.
enum ExecError: ExitStatusError {
    /// The Task on stdin is not JSON, or not an object.
    case malformedTask(String)
    /// The Task is JSON but cannot be run: unknown type, missing or mistyped field.
    case invalidTask(String)
    /// No Docker engine answers at `endpoint`.
    case engineUnavailable(endpoint: String, detail: String)
    /// Command tasks run in a container by default, and there is none to run them in.
    case noSandbox(endpoint: String, detail: String)
    /// No LLM backend answers at `url`.
    case backendUnavailable(url: String, detail: String)
    /// The engine or backend answered, but not as its API says.
    case protocolError(String)
    /// An operation that the configured backend does not offer.
    case unsupported(String)
    /// Task: the Docker engine refused a call, with its HTTP status and its own message.
    case engine(status: Int, message: String, method: String, path: String)
    /// Task: the task's image cannot be had (not local, the pull or the download failed).
    case imageUnavailable(String)
    /// Task: the LLM backend failed the generation (unknown model, an error mid-stream, a stall, an empty answer).
    case llmFailed(String)

    var description: String {
        switch self {
        case .malformedTask(let why): "the Task on stdin is not readable: \(why)"
        case .invalidTask(let why): "the Task cannot be run: \(why)"
        case .engineUnavailable(let endpoint, let detail):
            "no Docker engine at \(endpoint) (\(detail)); start dockerd or set DOCKER_HOST"
        case .noSandbox(let endpoint, let detail):
            "command tasks run in a container (RUNNER_COMMAND_SANDBOX=docker) and no Docker engine answers at "
                + "\(endpoint) (\(detail)); start dockerd, or opt in to host execution with "
                + "RUNNER_COMMAND_SANDBOX=host"
        case .backendUnavailable(let url, let detail):
            "no LLM backend at \(url) (\(detail)); start it, or point RUNNER_OLLAMA_URL / RUNNER_LLM_URL at one"
        case .protocolError(let why): why
        case .unsupported(let why): why
        case .engine(let status, let message, let method, let path):
            "Docker engine: \(message) (HTTP \(status) for \(method) \(path.split(separator: "?").first ?? ""))"
        case .imageUnavailable(let why), .llmFailed(let why): why
        }
    }

    var exitStatus: ExitStatus {
        switch self {
        case .malformedTask: .dataError
        case .invalidTask: .usage
        case .engineUnavailable, .noSandbox, .backendUnavailable, .unsupported: .unavailable
        case .protocolError, .engine, .imageUnavailable, .llmFailed: .failure
        }
    }
}
