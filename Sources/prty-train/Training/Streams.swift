/// Named sub-streams of the session seed, so adding a use of randomness never shifts another.
enum Streams {
    static let initialisation: UInt64 = 1
    static let validationSplit: UInt64 = 2
    /// Shuffling when the task has no session id to derive the round seed from.
    static let shuffle: UInt64 = 3
}
