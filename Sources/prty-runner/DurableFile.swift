import Foundation
import Shared

/// Crash-safe file writes: a temporary file is written and fsync'd, renamed over the target, and the directory
/// fsync'd, so after a crash the target holds either the old bytes or the new ones, never a torn mix.
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String, sync: Bool = true) throws(RunnerError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .stateFile("cannot create \(temporary): \(errnoText())") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let why = errnoText()
                close(fd)
                unlink(temporary)
                throw .stateFile("cannot write \(temporary): \(why)")
            }
            offset += written
        }
        guard !sync || fsync(fd) == 0 else {
            let why = errnoText()
            close(fd)
            unlink(temporary)
            throw .stateFile("cannot fsync \(temporary): \(why)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let why = errnoText()
            unlink(temporary)
            throw .stateFile("cannot rename \(temporary) to \(path): \(why)")
        }
        if sync { try syncDirectory(directory) }
    }

    /// Makes a rename or unlink in `directory` durable.
    static func syncDirectory(_ directory: String) throws(RunnerError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .stateFile("cannot open \(directory): \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .stateFile("cannot fsync \(directory): \(errnoText())") }
    }

    /// Creates `path` and its parents with owner-only permissions.
    static func makeDirectory(_ path: String) throws(RunnerError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .stateFile("cannot create the directory \(path): \(error.localizedDescription)")
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
