import Foundation

/// A file written through a temporary sibling and renamed into place by `commit()`, so a failed run never
/// leaves a partial or unverified file under the requested name. Writes are buffered.
///
/// Atomic replace is right for regular files only: a symlink is followed (the file it points to is replaced,
/// the link stays), and a character device, FIFO or socket — `/dev/null`, `/dev/full`, a named pipe, and anything
/// under `/dev/` or `/proc/` such as `/dev/stdout` — is opened and written directly, never renamed over.
final class OutputFile {
    let path: String
    /// Where the finished file is renamed to (the symlink's target for a symlink); nil when written directly.
    private let destination: String?
    private let temporary: String
    private var fd: Int32
    private var buffer = [UInt8]()
    private static let flushSize = 1 << 20
    /// Pieces at least this large (a whole block) skip the buffer.
    private static let directSize = 64 << 10

    init(path: String) throws(FetchError) {
        self.path = path
        switch Self.kind(of: path) {
        case .directory:
            throw .usage("cannot write to \(path): it is a directory; give a file name")
        case .special:
            fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
            destination = nil
            temporary = ""
        case .regular(let target):
            var template = Array("\(target).partial-XXXXXX".utf8CString)
            fd = mkstemp(&template)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                if errno == ENOENT { throw .missingFile("cannot create \(path): its folder does not exist") }
                throw .io("cannot create \(path): \(reason)")
            }
            destination = target
            temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            fchmod(fd, 0o644)
        }
        buffer.reserveCapacity(Self.flushSize)
    }

    enum Kind: Equatable {
        /// Written through a temporary sibling of `target` (the path itself, or where its symlink points).
        case regular(target: String)
        /// A device, FIFO or socket: opened and written in place.
        case special
        case directory
    }

    /// What `--output PATH` names, following symlinks.
    static func kind(of path: String) -> Kind {
        if path.hasPrefix("/dev/") || path.hasPrefix("/proc/") { return .special }  // /dev/stdout, /dev/fd/N
        var info = stat()
        guard lstat(path, &info) == 0 else { return .regular(target: path) }  // a new file
        var target = path
        if info.st_mode & S_IFMT == S_IFLNK {
            if let resolved = realpath(path, nil) {
                target = String(cString: resolved)
                free(resolved)
            } else if let link = Self.readLink(path) {  // dangling: create the file the link names
                let folder = (path as NSString).deletingLastPathComponent
                target = link.hasPrefix("/") || folder.isEmpty ? link : folder + "/" + link
            }
            if target.hasPrefix("/dev/") || target.hasPrefix("/proc/") { return .special }
            guard stat(path, &info) == 0 else { return .regular(target: target) }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular(target: target)
        case S_IFDIR: return .directory
        default: return .special
        }
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            if destination != nil { unlink(temporary) }
        }
    }

    func write(_ bytes: [UInt8]) throws(FetchError) {
        bytes.withUnsafeBytes { buffer.append(contentsOf: $0) }
        if buffer.count >= Self.flushSize { try flush() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(FetchError) {
        if bytes.count >= Self.directSize {
            try flush()
            try Self.writeAll(fd, bytes, path)
        } else {
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.flushSize { try flush() }
        }
    }

    private func flush() throws(FetchError) {
        guard !buffer.isEmpty else { return }
        let result = buffer.withUnsafeBytes { bytes in
            Result { () throws(FetchError) in try Self.writeAll(fd, bytes, path) }
        }
        try result.get()
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes and renames the file into place.
    func commit() throws(FetchError) {
        try flush()
        let descriptor = fd
        fd = -1
        guard close(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if destination != nil { unlink(temporary) }
            throw .io("cannot write \(path): \(reason)")
        }
        guard let destination else { return }  // written in place
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io("cannot move the finished file to \(path): \(reason)")
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ path: String) throws(FetchError) {
        var done = 0
        while done < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .io("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += count
        }
    }
}
