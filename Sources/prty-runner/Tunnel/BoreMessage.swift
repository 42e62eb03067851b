import Shared

/// bore's wire protocol (docs/tunnel.md): JSON frames ended by a NUL byte, at most 256 bytes each, in serde's
/// external tagging (`{"Hello":0}`, a unit variant as a bare string: `"Heartbeat"`). Pure values: no I/O.
enum BoreMessage {
    /// The well-known control port of a bore server (bore's `CONTROL_PORT`).
    static let controlPort: UInt16 = 7835
    /// The longest frame either side accepts, without its NUL (bore's `MAX_FRAME_LENGTH`).
    static let maxFrameLength = 256
    /// bore's `NETWORK_TIMEOUT`: connects and the first message of a stream.
    static let networkTimeout = 3.0

    /// What the client sends.
    enum Client: Equatable {
        case hello(UInt16)
        case authenticate(String)
        case accept(String)

        /// The frame on the wire, NUL included.
        var frame: [UInt8] {
            let json: JSON =
                switch self {
                case .hello(let port): ["Hello": .int(Int(port))]
                case .authenticate(let tag): ["Authenticate": .string(tag)]
                case .accept(let id): ["Accept": .string(id)]
                }
            return Array(json.serialized().utf8) + [0]
        }
    }

    /// What the server sends.
    enum Server: Equatable {
        case challenge(String)
        case hello(UInt16)
        case heartbeat
        case connection(String)
        case error(String)

        /// Decodes one frame (without its NUL).
        init(frame: ArraySlice<UInt8>) throws(TunnelError) {
            let json: JSON
            do {
                json = try JSONParser.parse(Array(frame))
            } catch {
                throw .protocolError("the tunnel server sent a frame that is not JSON; is it a bore server?")
            }
            if json.stringValue == "Heartbeat" {
                self = .heartbeat
                return
            }
            guard let object = json.objectValue, object.count == 1, let (tag, value) = object.first else {
                throw .protocolError("the tunnel server sent an unknown message \(json.serialized())")
            }
            switch (tag, value) {
            case ("Challenge", .string(let id)) where BoreMessage.uuidBytes(id) != nil: self = .challenge(id)
            case ("Connection", .string(let id)) where BoreMessage.uuidBytes(id) != nil: self = .connection(id)
            case ("Error", .string(let message)): self = .error(message)
            case ("Hello", .number(let number)):
                guard let port = number.int, (1...65535).contains(port) else {
                    throw .protocolError("the tunnel server announced port \(number), which is not a TCP port")
                }
                self = .hello(UInt16(port))
            default:
                throw .protocolError("the tunnel server sent an unknown message \(json.serialized())")
            }
        }
    }

    /// The 16 bytes of a UUID written as 32 hex digits, with or without hyphens (serde writes
    /// `67e55044-10b1-426f-9247-bb680e5fe0c8`); `nil` for anything else.
    static func uuidBytes(_ text: String) -> [UInt8]? {
        let digits = text.filter { $0 != "-" }
        guard digits.count == 32, text.count == 32 || text.count == 36, let bytes = Hex.decode(digits),
            !digits.hasPrefix("0x")
        else { return nil }
        return bytes
    }

    /// The answer to a challenge: hex(HMAC-SHA256(key = SHA-256(secret), message = the UUID's 16 raw bytes)),
    /// as bore's `Authenticator::answer` computes it.
    static func answer(secret: String, challenge: String) -> String? {
        guard let bytes = uuidBytes(challenge) else { return nil }
        return Hex.encode(HMAC.sha256(key: SHA256.hash(Array(secret.utf8)), message: bytes))
    }
}

/// Splits a byte stream into NUL-terminated frames, refusing one longer than bore allows (a peer that is not
/// a bore server, or a hostile one, cannot make the client buffer without bound).
struct BoreFrameReader {
    private var buffer: [UInt8] = []

    mutating func append(_ bytes: ArraySlice<UInt8>) { buffer += bytes }

    /// The next whole frame, without its NUL; `nil` until one has arrived.
    mutating func next() throws(TunnelError) -> [UInt8]? {
        guard let end = buffer.firstIndex(of: 0) else {
            if buffer.count > BoreMessage.maxFrameLength {
                throw .protocolError(
                    "the tunnel server sent a frame longer than \(BoreMessage.maxFrameLength) bytes; is it a bore server?"
                )
            }
            return nil
        }
        guard end <= BoreMessage.maxFrameLength else {
            throw .protocolError(
                "the tunnel server sent a frame longer than \(BoreMessage.maxFrameLength) bytes; is it a bore server?")
        }
        let frame = Array(buffer[..<end])
        buffer.removeSubrange(...end)
        return frame
    }

    /// Bytes received after the last whole frame.
    var pending: Int { buffer.count }
}
