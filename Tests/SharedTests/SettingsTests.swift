import Foundation
import TestSupport
import Testing

@testable import Shared

struct SettingsTests {
    static let tool = Command(
        "prty-demo", summary: "demo",
        options: [
            Option("timeout", value: .single("DURATION"), help: "timeout"),
            Option("gateway", value: .repeated("URL"), help: "gateway"),
            Option("cache-max", value: .single("SIZE"), help: "cache"),
            Option("verbose", help: "a switch"),
        ])

    func arguments(_ words: [String] = []) throws -> Arguments {
        guard case .run(let arguments) = try Arguments.parse(words, for: Self.tool) else {
            throw UsageError("not runnable")
        }
        return arguments
    }

    func settings(_ words: [String] = [], env: [String: String] = [:], file: String? = nil) throws -> Settings {
        let dotenv = try file.map { try DotEnv.parse($0, file: "test.env") }
        return Settings(arguments: try arguments(words), environment: env, file: dotenv, filePath: "test.env")
    }

    /// Writes `text` to a fresh temporary file and returns its path.
    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prty-\(UUID().uuidString).env").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: Precedence

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = "IPFS_TIMEOUT=20s\n"
        #expect(try settings().duration(.ipfsTimeout) == 60)
        #expect(try settings(file: file).duration(.ipfsTimeout) == 20)
        #expect(try settings(env: ["IPFS_TIMEOUT": "5s"], file: file).duration(.ipfsTimeout) == 5)
        #expect(
            try settings(["--timeout", "1.5s"], env: ["IPFS_TIMEOUT": "5s"], file: file)
                .duration(.ipfsTimeout, flag: "timeout") == 1.5)
        // Without flag: the option is not consulted even when given.
        #expect(try settings(["--timeout", "1.5s"], env: ["IPFS_TIMEOUT": "5s"]).duration(.ipfsTimeout) == 5)
        #expect(try settings(file: file).lookup(.ipfsTimeout).source == .file(path: "test.env", line: 1))
    }

    @Test func emptyValuesFallThrough() throws {
        let s = try settings(env: ["IPFS_CACHE_MAX_BYTES": ""], file: "IPFS_CACHE_MAX_BYTES=\nIPFS_MAX_BYTES=1g\n")
        #expect(try s.size(.ipfsCacheMaxBytes) == 2 << 30)
        #expect(try s.size(.ipfsMaxBytes) == 1 << 30)
    }

    // MARK: Bad values name key, value and place

    @Test func badEnvironmentValueIsConfigError() throws {
        let s = try settings(env: ["IPFS_CACHE_MAX_BYTES": "lots"])
        #expect {
            _ = try s.size(.ipfsCacheMaxBytes)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.exitStatus == .config
                && error.message == #"IPFS_CACHE_MAX_BYTES="lots" is not valid: expected a size such as 512m or 2g"#
                    + " (set in the environment)"
        }
    }

    @Test func badFileValueNamesFileAndLine() throws {
        let s = try settings(file: "# caps\nTRAIN_MAX_TREES=many\n")
        #expect {
            _ = try s.int(.trainMaxTrees)
        } throws: { error in
            (error as? ConfigError)?.message
                == #"TRAIN_MAX_TREES="many" is not valid: expected a whole number ≥ 1 (set in test.env line 2)"#
        }
    }

    @Test func badFlagValueIsUsageError() throws {
        let s = try settings(["--timeout", "30"], env: ["IPFS_TIMEOUT": "5s"])
        #expect {
            _ = try s.duration(.ipfsTimeout, flag: "timeout")
        } throws: { error in
            (error as? UsageError)?.message
                == "--timeout expects a duration such as 30s, 1m30s or 1.5h (a unit is required), got '30'"
        }
    }

    @Test(arguments: [
        ("IPFS_TIMEOUT", "-5s"), ("IPFS_TIMEOUT", "5"), ("IPFS_TIMEOUT", "soon"), ("IPFS_MAX_BYTES", "-1g"),
        ("TRAIN_MAX_TREES", "0"), ("TRAIN_MAX_TREES", "2.5"), ("TRAIN_MAX_DEPTH", "-1"),
        ("IPFS_GATEWAYS", "ipfs.io"), ("IPFS_GATEWAYS", "https://ipfs.io,ftp://x"), ("PRTY_LOG_FORMAT", "xml"),
    ])
    func everyKindRefusesJunk(name: String, value: String) throws {
        let s = try settings(env: [name: value])
        #expect {
            try s.validateAll()
        } throws: { error in
            (error as? ConfigError)?.message.hasPrefix("\(name)=\(value.debugDescription) is not valid: expected")
                == true
        }
    }

    @Test func secretValuesAreNeverShown() throws {
        let key = SettingKey("DEMO_SECRET_PORT", .int(minimum: 1), default: "1", doc: "d", isSecret: true)
        #expect {
            _ = try settings(env: ["DEMO_SECRET_PORT": "hunter2"]).int(key)
        } throws: { error in
            "\(error)".contains("hunter2") == false && "\(error)".contains("DEMO_SECRET_PORT=(hidden)")
        }
    }

    // MARK: Kinds

    @Test func integersAndCaps() throws {
        #expect(try settings().int(.trainMaxEpochSamples) == 2_000_000_000)
        #expect(try settings(env: ["TRAIN_MAX_EPOCH_SAMPLES": "3e9"]).int(.trainMaxEpochSamples) == 3_000_000_000)
        #expect(try settings(env: ["TRAIN_MAX_DEPTH": "0"]).int(.trainMaxDepth) == 0)
        #expect(try settings().int(.trainMaxParameters) == 50_000_000)
    }

    @Test func listsSplitTrimAndOverride() throws {
        #expect(
            try settings().list(.ipfsGateways)
                == ["https://trustless-gateway.link", "https://ipfs.io", "https://dweb.link"])
        let env = ["IPFS_GATEWAYS": " https://a.example/ , ,http://127.0.0.1:8080 "]
        #expect(
            try settings(env: env).list(.ipfsGateways, flag: "gateway")
                == ["https://a.example", "http://127.0.0.1:8080"])
        let flagged = try settings(
            ["--gateway", "http://x.test", "--gateway", "http://y.test,http://z.test"], env: env)
        #expect(
            try flagged.list(.ipfsGateways, flag: "gateway") == ["http://x.test", "http://y.test", "http://z.test"])
        #expect(try flagged.urls(.ipfsGateways, flag: "gateway").map(\.host) == ["x.test", "y.test", "z.test"])
        #expect(throws: UsageError.self) {
            _ = try settings(["--gateway", "not a url"]).list(.ipfsGateways, flag: "gateway")
        }
    }

    @Test func pathsExpandHome() throws {
        #expect(try settings(env: ["HOME": "/home/op"]).path(.ipfsCacheDir) == "/home/op/.parity/ipfs")
        #expect(
            try settings(env: ["HOME": "/h", "IPFS_CACHE_DIR": "/var/cache/prty"]).path(.ipfsCacheDir)
                == "/var/cache/prty")
        #expect(try settings(env: ["IPFS_CACHE_DIR": "relative/~x"]).path(.ipfsCacheDir) == "relative/~x")
    }

    @Test func boolsAndChoices() throws {
        let key = SettingKey("DEMO_ENABLED", .bool, default: "false", doc: "d")
        #expect(try settings().bool(key) == false)
        for yes in ["true", "1", "YES", "On"] { #expect(try settings(env: ["DEMO_ENABLED": yes]).bool(key)) }
        for no in ["false", "0", "no", "OFF"] { #expect(try !settings(env: ["DEMO_ENABLED": no]).bool(key)) }
        #expect(throws: ConfigError.self) { _ = try settings(env: ["DEMO_ENABLED": "maybe"]).bool(key) }
        #expect(try settings(["--verbose"]).bool(key, flag: "verbose"))
        #expect(try settings(file: "PRTY_LOG_FORMAT=json\n").logFormat == .json)
        #expect(try settings(["--log-format", "human"], file: "PRTY_LOG_FORMAT=json\n").logFormat == .human)
        #expect(try settings().choice(.logFormat) == "human")
    }

    @Test func url() throws {
        let key = SettingKey("DEMO_URL", .url, default: "https://example.test/api", doc: "d")
        #expect(try settings().url(key).host == "example.test")
        #expect(throws: ConfigError.self) { _ = try settings(env: ["DEMO_URL": "example.test"]).url(key) }
    }

    // MARK: Loading the file

    @Test func loadsTheFileNamedByFlagOrVariable() throws {
        let path = try temporaryFile("export IPFS_TIMEOUT=7s\nIPFS_MAX_BYTES='3g'\n")
        defer { unlink(path) }
        let byFlag = try Settings.load(arguments: try arguments(["--config-path", path]), environment: [:])
        #expect(byFlag.filePath == path)
        #expect(try byFlag.duration(.ipfsTimeout) == 7)
        #expect(try byFlag.size(.ipfsMaxBytes) == 3 << 30)
        let byVariable = try Settings.load(arguments: try arguments(), environment: ["PARITY_CONFIG_PATH": path])
        #expect(try byVariable.duration(.ipfsTimeout) == 7)
    }

    @Test func explicitMissingFileIsConfigError() throws {
        #expect {
            _ = try Settings.load(arguments: try arguments(["--config-path", "/nonexistent/x.env"]), environment: [:])
        } throws: { error in
            (error as? ConfigError)?.message
                == "the config file /nonexistent/x.env (from --config-path) does not exist"
        }
        #expect {
            _ = try Settings.load(arguments: try arguments(), environment: ["PARITY_CONFIG_PATH": "/nonexistent/y"])
        } throws: { error in
            (error as? ConfigError)?.message.contains("/nonexistent/y (from PARITY_CONFIG_PATH)") == true
        }
    }

    @Test func logFormatInTheFileIsFoundBeforeSettingsLoad() throws {
        let json = try temporaryFile("PRTY_LOG_FORMAT=json\nSOMETHING_ELSE=1\n")
        let none = try temporaryFile("IPFS_TIMEOUT=1s\n")
        let bad = try temporaryFile("\n\nPRTY_LOG_FORMAT=xml\n")
        defer { for path in [json, none, bad] { unlink(path) } }
        let env = { (path: String) in ["PARITY_CONFIG_PATH": path] }
        #expect(try Settings.logFormatInFile(arguments: arguments(), environment: env(json)) == .json)
        #expect(try Settings.logFormatInFile(arguments: arguments(), environment: env(none)) == nil)
        #expect {
            _ = try Settings.logFormatInFile(arguments: arguments(), environment: env(bad))
        } throws: { error in
            (error as? ConfigError)?.message
                == "PRTY_LOG_FORMAT=\"xml\" is not valid: expected one of human, json (set in \(bad) line 3)"
        }
        #expect(throws: ConfigError.self) {
            _ = try Settings.logFormatInFile(
                arguments: arguments(["--config-path", "/nonexistent/z"]), environment: [:])
        }
    }

    @Test func unknownKeysAreListedOnce() throws {
        let s = try settings(file: "RUNNER_OLD=1\nIPFS_TIMEOUT=1s\nFL_THING=2\nRUNNER_OLD=3\n")
        #expect(s.unknownKeys == ["RUNNER_OLD", "FL_THING"])
        #expect(try settings(file: "IPFS_TIMEOUT=1s\n").unknownKeys.isEmpty)
    }

    // MARK: The registry

    @Test func everyDefaultIsValid() throws {
        try settings().validateAll()
        #expect(Set(SettingKey.all.map(\.name)).count == SettingKey.all.count)
    }

    @Test func envSampleMatchesTheRegistry() throws {
        let path = Paths.root.appendingPathComponent(".env.sample")
        let generated = SettingKey.sample()
        if ProcessInfo.processInfo.environment["PRTY_UPDATE_ENV_SAMPLE"] == "1" {  // make env-sample
            try generated.write(to: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(
            committed == generated,
            ".env.sample differs from SettingKey.all; write this text to .env.sample:\n\(generated)")
        // And the committed file parses to exactly the declared keys with their defaults.
        let parsed = try DotEnv.parse(committed, file: ".env.sample")
        #expect(parsed.entries.map(\.key) == SettingKey.sampleOrder.map(\.name))
        #expect(parsed.entries.map(\.value) == SettingKey.sampleOrder.map(\.defaultValue))
    }

    /// docs/configuration.md §4: every key in .env.sample is read and used. A key counts as read when some source
    /// outside Sources/Shared/Config names it (`.ipfsTimeout` or "IPFS_TIMEOUT").
    @Test func everyDeclaredKeyIsReadSomewhere() throws {
        let sources = Paths.root.appendingPathComponent("Sources")
        var text = ""
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard url.pathExtension == "swift", !url.path.contains("/Sources/Shared/Config/") else { continue }
            text += try String(contentsOf: url, encoding: .utf8)
        }
        let lowercased = text.lowercased()  // `runnerDeviceID` reads as well as `runnerDeviceId`
        for key in SettingKey.all {
            let words = key.name.lowercased().split(separator: "_")
            let property = words.first.map(String.init)! + words.dropFirst().map(\.capitalized).joined()
            let read =
                lowercased.contains(".\(property.lowercased())") || text.contains("\"\(key.name)\"")
                || (key == .logFormat && text.contains("PRTY_LOG_FORMAT"))
            #expect(read, "\(key.name) is declared (and in .env.sample) but no tool reads it")
        }
    }
}
