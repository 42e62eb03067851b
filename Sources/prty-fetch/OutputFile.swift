import Foundation

/// A file written through a temporary sibling and renamed into place by `commit()`, so a failed run never
/// leaves a partial or unverified file under the requested name. Writes are buffered.
final class OutputFile {
    let path: String
    private let temporary: String
    private var fd: Int32
    private var buffer = [UInt8]()
    private static let flushSize = 1 << 20
    /// Pieces at least this large (a whole block) skip the buffer.
    private static let directSize = 64 << 10

    init(path: String) throws(FetchError) {
        self.path = path
        var template = Array("\(path).partial-XXXXXX".utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT { throw .missingFile("cannot create \(path): its folder does not exist") }
            throw .io("cannot create \(path): \(reason)")
        }
        temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        buffer.reserveCapacity(Self.flushSize)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporary)
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
            unlink(temporary)
            throw .io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
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
