import Foundation
import Testing

@testable import Shared

/// What `Log` writes to stderr, captured by pointing fd 2 at a pipe for the length of one call. Serialized:
/// fd 2 is process-wide. Lines from other suites that land in the pipe meanwhile are filtered out by tool name.
@Suite(.serialized)
struct LogTests {
    let tool = "prty-logtest-\(UInt32.random(in: 0...UInt32.max))"

    func captureStderr(_ body: () -> Void) throws -> [String] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw DataError("pipe failed") }
        let saved = dup(STDERR_FILENO)
        dup2(fds[1], STDERR_FILENO)
        body()
        dup2(saved, STDERR_FILENO)
        close(saved)
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &chunk, 4096)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { $0.contains(tool) }
    }

    @Test func humanLinesArePrefixedWithTheTool() throws {
        let log = Log(tool: tool, format: .human, isTerminal: false)
        let lines = try captureStderr {
            log.info("fetched", "fetched 3 blocks", ["blocks": 3])
            log.warning("slow", "gateway is slow")
            log.debug("noise", "not shown at the default level")
            log.failure("no such file: x.csv", exitStatus: .noInput)
        }
        #expect(
            lines == [
                "\(tool): fetched 3 blocks", "\(tool): warning: gateway is slow", "\(tool): no such file: x.csv",
            ])
    }

    @Test func jsonEventsCarryTsLevelToolEventMessageAndFields() throws {
        let log = Log(tool: tool, format: .json, isTerminal: false)
        let lines = try captureStderr {
            log.info("fetched", "fetched 3 blocks", ["blocks": 3, "cid": "bafy"])
            log.failure("no such file: x.csv", exitStatus: .noInput)
        }
        #expect(lines.count == 2)
        let event = try JSONParser.parse(lines[0])
        #expect(event["level"] == "info")
        #expect(event["tool"] == .string(tool))
        #expect(event["event"] == "fetched")
        #expect(event["message"] == "fetched 3 blocks")
        #expect(event["blocks"]?.intValue == 3)
        #expect(event["cid"] == "bafy")
        let ts = try #require(event["ts"]?.stringValue)
        #expect(ts.count == 24 && ts.hasSuffix("Z") && ts.dropFirst(10).first == "T", "ts \(ts) is not RFC 3339 ms")
        #expect(
            Set(event.objectValue?.keys.map { $0 } ?? []) == [
                "ts", "level", "tool", "event", "message", "blocks", "cid",
            ])
        let failure = try JSONParser.parse(lines[1])
        #expect(failure["event"] == "error")
        #expect(failure["level"] == "error")
        #expect(failure["message"] == "no such file: x.csv")
        #expect(failure["exit_code"]?.intValue == 66)
        // Sorted keys: the same event is always the same bytes.
        #expect(lines[0].hasPrefix("{\"blocks\":3,\"cid\":\"bafy\",\"event\":\"fetched\",\"level\":\"info\""))
    }

    @Test func minimumLevelFilters() throws {
        let log = Log(tool: tool, format: .human, minimum: .warning, isTerminal: false)
        let lines = try captureStderr {
            log.info("x", "hidden")
            log.warning("y", "shown")
            log.failure("always shown", exitStatus: .failure)
        }
        #expect(lines == ["\(tool): warning: shown", "\(tool): always shown"])
    }

    @Test func timestampIsUTCWithMilliseconds() {
        let ts = Log.timestamp()
        let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/#
        #expect(ts.wholeMatch(of: pattern) != nil, "\(ts)")
    }
}
