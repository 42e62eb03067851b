import Foundation
import Shared

/// A whole file, read-only, mapped into memory (so `add` on a large file costs no heap), or stdin read
/// into memory for `-`.
final class MappedFile {
    private let base: UnsafeMutableRawPointer?
    private let count: Int
    private let heap: [UInt8]?

    init(path: String, what: String) throws(FetchError) {
        if path == "-" {
            do {
                heap = try Input.standardInput(what: what)
            } catch {
                throw .usage("\(error)")
            }
            base = nil
            count = heap!.count
            return
        }
        heap = nil
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .missingFile("no such file: \(path)") }
            throw .missingFile("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .usage("\(path) is not a regular file") }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw .io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        madvise(mapped, count, MADV_SEQUENTIAL)
        base = mapped
    }

    deinit {
        if let base { munmap(base, count) }
    }

    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let heap { return try heap.withUnsafeBytes(body) }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}
