import Foundation
import Testing
import TestSupport

/// Every binary answers --help and --version, and rejects an unknown flag with exit 64 and one line.
struct HelpTests {
    static let tools = ["prty-wallet", "prty-fetch", "prty-partition", "prty-train", "prty-exec", "prty-runner"]

    @Test(arguments: tools)
    func helpAndVersion(tool: String) throws {
        let help = try runTool(tool, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.hasPrefix("\(tool) — "))
        #expect(help.stdoutText.contains("Examples:"))
        let version = try runTool(tool, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText.hasPrefix("\(tool) 0."))
    }

    @Test(arguments: tools)
    func unknownFlagIsUsageError(tool: String) throws {
        let result = try runTool(tool, ["--no-such-flag"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.lastErrorLine.hasPrefix("\(tool): "))
        #expect(result.lastErrorLine.contains("--no-such-flag"))
    }
}
