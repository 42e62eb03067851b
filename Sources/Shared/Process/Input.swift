import Foundation

/// Reading whole inputs: stdin or a file, as bytes.
public enum Input {
    /// All of stdin. An interactive terminal on stdin is refused, so a forgotten `<` fails fast.
    public static func standardInput(what: String = "a document") throws -> [UInt8] {
        if isatty(STDIN_FILENO) == 1 {
            throw UsageError("expected \(what) on stdin (pipe or redirect it), but stdin is a terminal")
        }
        return try readAll(fd: STDIN_FILENO, name: "stdin")
    }

    /// A whole file; a missing one is exit 66.
    public static func file(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw NotFoundError("no such file: \(path)") }
            throw NotFoundError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        return try readAll(fd: fd, name: path)
    }

    private static func readAll(fd: Int32, name: String) throws -> [UInt8] {
        var bytes = [UInt8]()
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size) + 1) }
        let chunk = 1 << 20
        while true {
            let before = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + before, chunk) }
            if count < 0 {
                bytes.removeLast(chunk)
                if errno == EINTR { continue }
                throw DataError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            bytes.removeLast(chunk - count)
            if count == 0 { return bytes }
        }
    }
}
