import Testing

@testable import Shared

/// Go `time.ParseDuration` / `Duration.String` known answers (from Go's time/time_test.go).
struct GoDurationTests {
    @Test(arguments: [
        ("0", Int64(0)), ("5s", 5_000_000_000), ("30s", 30_000_000_000), ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000), ("+5s", 5_000_000_000), ("-0", 0), ("+0", 0),
        ("5.0s", 5_000_000_000), ("5.6s", 5_600_000_000), ("5.s", 5_000_000_000), (".5s", 500_000_000),
        ("1.0s", 1_000_000_000), ("1.00s", 1_000_000_000), ("1.004s", 1_004_000_000), ("100.00100s", 100_001_000_000),
        ("10ns", 10), ("11us", 11_000), ("12µs", 12_000), ("12μs", 12_000), ("13ms", 13_000_000),
        ("14s", 14_000_000_000), ("15m", 900_000_000_000), ("16h", 57_600_000_000_000),
        ("3h30m", 12_600_000_000_000), ("10.5s4m", 250_500_000_000), ("-2m3.4s", -123_400_000_000),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006), ("39h9m14.425s", 140_954_425_000_000),
        ("52763797000ns", 52_763_797_000), ("0.3333333333333333333h", 1_200_000_000_000),
        ("9007199254740993ns", 9_007_199_254_740_993), ("9223372036854775807ns", Int64.max),
        ("9223372036854775.807us", Int64.max), ("9223372036s854ms775us807ns", Int64.max),
        ("-9223372036854775808ns", Int64.min), ("0.100000000000000000000h", 360_000_000_000),
        ("0.830103483285477580700h", 2_988_372_539_827), ("300ms", 300_000_000), ("1.5h", 5_400_000_000_000),
        ("1h30m", 5_400_000_000_000), ("2m3.5s", 123_500_000_000),
    ])
    func parsesLikeGo(text: String, nanoseconds: Int64) throws {
        #expect(try GoDuration.nanoseconds(text) == nanoseconds)
    }

    @Test(arguments: [
        "", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\u{85}\u{85}", "\u{ff}", "9223372036854775808ns",
        "9223372036854775.808us", "9223372036854ms775us808ns", "-9223372036854775809ns", "1h 30m", "30 s", "x30s",
        "1e3s",
    ])
    func refusesWhatGoRefuses(text: String) {
        #expect(throws: InvalidValue.self) { _ = try GoDuration.nanoseconds(text) }
    }

    @Test func bareNumberNamesTheMissingUnit() {
        #expect(throws: InvalidValue("missing unit in duration \"30\" (use ns, us, ms, s, m or h, e.g. 30s)")) {
            _ = try GoDuration.seconds("30")
        }
    }

    @Test(arguments: [
        (Int64(0), "0s"), (1, "1ns"), (1100, "1.1µs"), (2_200_000, "2.2ms"), (3_300_000_000, "3.3s"),
        (240_000_000_000, "4m0s"), (301_000_000_000, "5m1s"), (7_500_000_000_000, "2h5m0s"),
        (86_400_000_000_000, "24h0m0s"), (-1_000_000_000, "-1s"), (4_005_000_000, "4.005s"),
        (Int64.max, "2562047h47m16.854775807s"), (Int64.min, "-2562047h47m16.854775808s"),
    ])
    func formatsLikeGo(nanoseconds: Int64, text: String) throws {
        #expect(GoDuration.format(nanoseconds: nanoseconds) == text)
        #expect(try GoDuration.nanoseconds(text) == nanoseconds)
    }

    @Test func secondsBothWays() throws {
        #expect(try GoDuration.seconds("1m30s") == 90)
        #expect(try GoDuration.seconds("250ms") == 0.25)
        #expect(GoDuration.format(seconds: 90) == "1m30s")
        #expect(GoDuration.format(seconds: 0.25) == "250ms")
        #expect(GoDuration.format(seconds: .infinity) == "2562047h47m16.854775807s")
    }
}
