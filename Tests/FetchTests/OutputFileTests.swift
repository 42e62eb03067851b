import Foundation
import Testing

@testable import prty_fetch

/// Issue 14: `--output` replaces regular files atomically, follows symlinks, and writes devices in place.
struct OutputFileTests {
    @Test func whatAPathNames() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prty-output-kind-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let link = folder.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "file")
        let dangling = folder.appendingPathComponent("dangling").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "new")
        let fifo = folder.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)

        #expect(OutputFile.kind(of: file) == .regular(target: file))
        #expect(
            OutputFile.kind(of: folder.appendingPathComponent("absent").path)
                == .regular(target: folder.appendingPathComponent("absent").path))
        #expect(OutputFile.kind(of: link) == .regular(target: file))
        #expect(OutputFile.kind(of: dangling) == .regular(target: folder.appendingPathComponent("new").path))
        #expect(OutputFile.kind(of: fifo) == .special)
        #expect(OutputFile.kind(of: folder.path) == .directory)
        for device in ["/dev/null", "/dev/full", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
            #expect(OutputFile.kind(of: device) == .special, "\(device)")
        }
    }

    @Test func gatewayPortsOutsideTheRangeAreUsageErrors() {
        for text in ["http://localhost:99999", "http://127.0.0.1:0", "https://[::1]:70000"] {
            #expect(throws: FetchError.self, "\(text)") { try Gateway(parsing: text) }
        }
        #expect(throws: Never.self) { try Gateway(parsing: "http://127.0.0.1:65535") }
    }
}
