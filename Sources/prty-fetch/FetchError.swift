import Shared

/// Every way prty-fetch fails, each mapped to its exit status (docs/exit-codes.md §3): 64 usage, 65 bad data
/// (content that fails its CID, a malformed DAG or dataset, an unsupported CID), 66 not found, 75 try again later.
/// The codecs (CID, varint, CAR, dag-pb, UnixFS) and the block store throw it too, with their detail in a
/// `…Problem` value; a codec error that reaches the tool is bad data, except a malformed CID, which can only come
/// from the command line (one inside content is wrapped in the CAR's or dag-pb's case).
indirect enum FetchError: ExitStatusError, Equatable {
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
    /// A CID string or binary CID that was refused.
    case cid(CIDProblem)
    /// A multiformats or protobuf varint that was refused.
    case varint(VarintProblem)
    /// A CARv1 stream that was refused.
    case car(CARProblem)
    /// A dag-pb block that was refused.
    case dagPB(DagPBProblem)
    /// UnixFS data (inside a dag-pb block) that was refused.
    case unixFS(String)
    /// A block store that cannot be read or written, or holds a file too large to be a block.
    case blockStore(BlockStoreProblem)
    /// Text that is not a gateway (`--gateway`, `IPFS_GATEWAYS`): the text and why.
    case gateway(String, String)

    enum CIDProblem: Sendable, Equatable {
        /// Not a CID at all (bad characters, truncated, inconsistent).
        case malformed(String)
        /// A well-formed CID this tool cannot verify (another codec, hash function, version or base).
        case unsupported(String)
    }

    enum VarintProblem: String, Sendable, Equatable {
        case truncated, overlong, notMinimal
    }

    enum CARProblem: Sendable, Equatable {
        case malformed(String, Int)
        case truncated(String)
        case tooLarge(String, UInt64, Int)
        case badCID(FetchError, Int)
        case unsupportedVersion(UInt64)
    }

    enum DagPBProblem: Sendable, Equatable {
        case malformed(String)
        case badLink(FetchError)
        case tooManyLinks(Int)
    }

    enum BlockStoreProblem: Sendable, Equatable {
        case io(String)
        case tooLarge(String, Int, Int)
    }

    var exitStatus: ExitStatus {
        switch self {
        case .usage, .cid(.malformed), .gateway: .usage
        case .unsupported, .badContent, .noValidBlock, .badData, .cid(.unsupported), .varint, .car, .dagPB, .unixFS,
            .blockStore(.tooLarge):
            .dataError
        case .notFound, .missingFile: .noInput
        case .unavailable: .tempFailure
        case .io, .blockStore(.io): .failure
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
        case .cid(.malformed(let why)): return "not a valid CID: \(why)"
        case .cid(.unsupported(let what)): return "unsupported CID: \(what)"
        case .varint(let problem): return problem.rawValue
        case .car(.malformed(let why, let offset)): return "malformed CAR at byte \(offset): \(why)"
        case .car(.truncated(let why)): return "incomplete CAR: \(why)"
        case .car(.tooLarge(let what, let length, let limit)):
            return "a CAR \(what) of \(length) bytes exceeds the \(limit)-byte limit"
        case .car(.badCID(let error, let offset)): return "a CAR section at byte \(offset) holds \(error)"
        case .car(.unsupportedVersion(let version)): return "CAR version \(version) is not supported (only CARv1)"
        case .dagPB(.malformed(let why)): return "malformed dag-pb block: \(why)"
        case .dagPB(.badLink(let error)): return "a dag-pb link holds \(error)"
        case .dagPB(.tooManyLinks(let limit)): return "a dag-pb node has more than \(limit) links (a DAG-bomb guard)"
        case .unixFS(let why): return "malformed UnixFS data: \(why)"
        case .blockStore(.io(let why)): return why
        case .blockStore(.tooLarge(let path, let size, let limit)):
            return "\(path) holds \(size) bytes, more than a block may (\(limit))"
        case .gateway(let text, let why): return "'\(text)' is not a gateway: \(why)"
        }
    }

    /// At most the first few attempts, so the one error line stays readable.
    private static func summary(_ attempts: [String]) -> String {
        let shown = attempts.prefix(4).joined(separator: "; ")
        return attempts.count > 4 ? "\(shown); and \(attempts.count - 4) more" : shown
    }
}
