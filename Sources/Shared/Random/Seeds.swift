/// Where seeds come from (docs/federated-learning.md §1).
public enum Seeds {
    /// The session seed: the FL config's `seed` if given, else the first 8 bytes (big-endian) of
    /// SHA-256(session_id). It fixes the held-out split, the partition and the model initialisation.
    public static func session(id: String, explicit: UInt64? = nil) -> UInt64 {
        explicit ?? bigEndian(SHA256.hash(Array(id.utf8)))
    }

    /// The per-round seed for shuffling: the first 8 bytes of SHA-256(session_id ‖ round_id).
    public static func round(session: String, round: String) -> UInt64 {
        bigEndian(SHA256.hash(Array(session.utf8) + Array(round.utf8)))
    }

    private static func bigEndian(_ digest: [UInt8]) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
