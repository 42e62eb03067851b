import Testing

@testable import Shared

/// docs/federated-learning.md §1: the session seed is the FL config's `seed`, else the first 8 bytes
/// (big-endian) of SHA-256(session_id); per-round shuffling uses SHA-256(session_id ‖ round_id). Known answers
/// computed with Python's hashlib, so a change of derivation can never slip in.
struct SeedsTests {
    @Test(arguments: [
        ("", UInt64(16_406_829_232_824_261_652)),  // e3b0c44298fc1c14
        ("session-1", 9_514_267_805_222_021_320),  // 84097828fc31a8c8
        ("fl-session-42", 16_078_624_169_436_452_060),  // df22bf7e704514dc
        ("ünïcode", 13_312_228_627_868_171_954),  // UTF-8 bytes: b8be8967e4de3eb2
    ])
    func sessionSeedIsTheFirstEightBytesBigEndian(id: String, seed: UInt64) {
        #expect(Seeds.session(id: id) == seed)
        let digest = SHA256.hash(Array(id.utf8))
        #expect(Seeds.session(id: id) == digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    @Test func explicitSeedWins() {
        #expect(Seeds.session(id: "session-1", explicit: 42) == 42)
        #expect(Seeds.session(id: "session-1", explicit: 0) == 0)
        #expect(Seeds.session(id: "session-1", explicit: nil) == 9_514_267_805_222_021_320)
    }

    @Test func roundSeedHashesSessionThenRound() {
        #expect(Seeds.round(session: "session-1", round: "round-3") == 12_960_737_641_733_409_014)
        #expect(Seeds.round(session: "session-1", round: "3") == 9_583_677_396_050_897_452)
        // Plain concatenation, no separator, exactly as docs/federated-learning.md §1 writes it.
        #expect(Seeds.round(session: "session-1", round: "3") == Seeds.session(id: "session-13"))
    }
}
