import Testing

@testable import Shared

struct SizeTests {
    @Test(arguments: [
        ("0", Int64(0)), ("1024", 1024), ("100k", 102_400), ("100K", 102_400), ("100kb", 102_400),
        ("512m", 536_870_912), ("512MB", 536_870_912), ("512MiB", 536_870_912), ("2g", 2_147_483_648),
        ("2GiB", 2_147_483_648), ("2 GiB", 2_147_483_648), ("1.5g", 1_610_612_736), ("0.5k", 512),
        ("1t", 1_099_511_627_776), ("1p", 1_125_899_906_842_624), ("10b", 10), ("10B", 10), ("1.7k", 1740),
    ])
    func parsesDockerSizes(text: String, bytes: Int64) throws {
        #expect(try Size.bytes(text) == bytes)
    }

    @Test(arguments: [
        "", "lots", "g", "-1", "1.2.3", "1x", "2gg", "2 g b", ".5g", "5.g", "1gibb", " 1g", "1g ", "10000000p",
        "1e3", "١٢",
    ])
    func refusesJunk(text: String) {
        #expect(throws: InvalidValue.self) { _ = try Size.bytes(text) }
    }

    @Test(arguments: [
        (Int64(0), "0"), (1000, "1000"), (1024, "1k"), (536_870_912, "512m"), (1_610_612_736, "1536m"),
        (2_147_483_648, "2g"), (4_398_046_511_104, "4t"),
    ])
    func formatsExactly(bytes: Int64, text: String) throws {
        #expect(Size.format(bytes) == text)
        #expect(try Size.bytes(text) == bytes)
    }

    @Test func humanForm() {
        #expect(Size.human(900) == "900 B")
        #expect(Size.human(1_610_612_736) == "1.5 GiB")
        #expect(Size.human(536_870_912) == "512 MiB")
        #expect(Size.human(1_100_000) == "1 MiB")
    }
}
