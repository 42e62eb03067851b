import Shared

/// Every way prty-fetch fails, each mapped to its exit status (docs/exit-codes.md §3): 64 usage, 65 bad data
/// (content that fails its CID, a malformed DAG or dataset, an unsupported CID), 66 not found, 75 try again later.
enum FetchError: ExitStatusError, Equatable {
    /// A command-line value that cannot be used (a malformed CID, a bad gateway URL).
    case usage(String)
    /// A CID this tool cannot verify (another codec, hash or version).
    case unsupported(String)
    /// Content that is not what its CID promises, or a DAG this tool refuses (too big, too deep, malformed).
    case badContent(String)
    /// Every gateway that answered served bad blocks.
    case noValidBlock(cid: String, attempts: [String])
    /// Every gateway answered that it does not have the content.
    case notFound(cid: String, attempts: [String])
    /// Gateways timed out, failed with 5xx or could not be reached: retrying later may help.
    case unavailable(cid: String, attempts: [String])
    /// A local file or folder that does not exist.
    case missingFile(String)
    /// A local file that cannot be read or written.
    case io(String)
    /// A dataset that cannot be turned into a Dataset document (names row and column).
    case badData(String)

    var exitStatus: ExitStatus {
        switch self {
        case .usage: .usage
        case .unsupported, .badContent, .noValidBlock, .badData: .dataError
        case .notFound, .missingFile: .noInput
        case .unavailable: .tempFailure
        case .io: .failure
        }
    }

    var description: String {
        switch self {
        case .usage(let message), .unsupported(let message), .badContent(let message), .missingFile(let message),
            .io(let message), .badData(let message):
            return message
        case .noValidBlock(let cid, let attempts):
            return "no gateway served a valid block for \(cid): \(Self.summary(attempts)); "
                + "the content may be corrupt at its source, try other gateways (--gateway URL)"
        case .notFound(let cid, let attempts):
            return "\(cid) was not found on any gateway (\(Self.summary(attempts))); check the CID, "
                + "or add a gateway that has it (--gateway URL)"
        case .unavailable(let cid, let attempts):
            return "could not retrieve \(cid): \(Self.summary(attempts)); try again later, raise --timeout, "
                + "or add gateways (--gateway URL)"
        }
    }

    /// At most the first few attempts, so the one error line stays readable.
    private static func summary(_ attempts: [String]) -> String {
        let shown = attempts.prefix(4).joined(separator: "; ")
        return attempts.count > 4 ? "\(shown); and \(attempts.count - 4) more" : shown
    }

    /// A CID argument that does not parse: malformed is usage, unsupported is bad data.
    static func from(_ error: CIDError) -> FetchError {
        switch error {
        case .malformed: .usage(error.description)
        case .unsupported: .unsupported(error.description)
        }
    }
}
