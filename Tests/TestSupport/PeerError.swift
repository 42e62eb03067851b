/// A test peer could not be started, or did not answer: the test fails with this message, it is never skipped.
public struct PeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
