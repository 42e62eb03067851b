extension Subprocess {
    /// How a run ended.
    public struct Result: Sendable {
        public enum Termination: Sendable, Equatable, CustomStringConvertible {
            case exited(Int32)
            case signaled(Int32)

            public var description: String {
                switch self {
                case .exited(let code): "exit status \(code)"
                case .signaled(let signal): "killed by signal \(signal) (\(Subprocess.signalName(signal)))"
                }
            }
        }

        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var stdoutTruncated: Bool
        public var stderrTruncated: Bool
        /// The timeout expired and the process group was signalled.
        public var timedOut: Bool
        /// The awaiting task was cancelled and the process group was signalled.
        public var cancelled: Bool
        /// The pid the child had (also its process group id).
        public var pid: Int32
        /// Wall-clock seconds from spawn to exit.
        public var seconds: Double

        public var succeeded: Bool { termination == .exited(0) && !timedOut }
        /// A shell's `$?`: the exit status, or 128 + the signal number.
        public var status: Int32 {
            switch termination {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }
}
