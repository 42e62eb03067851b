import Foundation

// MARK: - Signals: SIGPIPE while the child runs, and the names in a Result's description

extension Subprocess {
    /// `SIGPIPE` for a write to a pipe the child closed would kill this process. It is blocked on this thread
    /// while the child runs (the write then fails with `EPIPE`), and a pending one is consumed before unblocking.
    static func blockSIGPIPEOnThisThread() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var saved = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &saved)
        return saved
    }

    static func restoreSignalMask(_ saved: sigset_t) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
            var zero = timespec()
            _ = sigtimedwait(&set, nil, &zero)
        }
        var saved = saved
        pthread_sigmask(SIG_SETMASK, &saved, nil)
    }

    /// `SIGTERM` for 15, and so on for the signals a child commonly dies of; `signal N` for the rest.
    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        default: "signal \(signal)"
        }
    }
}
