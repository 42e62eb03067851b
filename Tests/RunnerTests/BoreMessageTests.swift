import Foundation
import Shared
import Testing

@testable import prty_runner

/// bore's wire format and authentication, without sockets.
struct BoreMessageTests {
    @Test func clientFramesAreSerdeJSONEndedByNUL() {
        #expect(BoreMessage.Client.hello(0).frame == Array(#"{"Hello":0}"#.utf8) + [0])
        #expect(BoreMessage.Client.hello(41234).frame == Array(#"{"Hello":41234}"#.utf8) + [0])
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8"
        #expect(BoreMessage.Client.accept(id).frame == Array(#"{"Accept":"\#(id)"}"#.utf8) + [0])
        #expect(BoreMessage.Client.authenticate("ab").frame == Array(#"{"Authenticate":"ab"}"#.utf8) + [0])
    }

    @Test func serverMessagesDecode() throws {
        func decode(_ text: String) throws -> BoreMessage.Server {
            try BoreMessage.Server(frame: Array(text.utf8)[...])
        }
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8"
        #expect(try decode(#""Heartbeat""#) == .heartbeat)
        #expect(try decode(#"{"Hello":41234}"#) == .hello(41234))
        #expect(try decode(#"{"Challenge":"\#(id)"}"#) == .challenge(id))
        #expect(try decode(#"{"Connection":"\#(id)"}"#) == .connection(id))
        #expect(try decode(#"{"Error":"port already in use"}"#) == .error("port already in use"))
    }

    @Test(arguments: [
        #"{"Hello":0}"#, #"{"Hello":70000}"#, #"{"Hello":-1}"#, #"{"Hello":"1"}"#, #"{"Connection":"nope"}"#,
        #"{"Challenge":"67e5504410b1426f9247bb680e5fe0c8ff"}"#, #""Goodbye""#, #"{"A":1,"B":2}"#, "not json", "",
    ])
    func badServerMessagesAreProtocolErrors(_ text: String) {
        #expect {
            try BoreMessage.Server(frame: Array(text.utf8)[...])
        } throws: { error in
            guard case .protocolError(let message) = error as? TunnelError else { return false }
            return message.contains("tunnel server")
        }
    }

    /// Known answers computed with Python's hmac/hashlib/uuid, as bore's `Authenticator::answer` defines them.
    @Test func challengeAnswerIsHMACOfUUIDBytesUnderHashedSecret() {
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8"
        #expect(
            BoreMessage.answer(secret: "secret", challenge: id)
                == "58c7053d9b399b587f06f019c9c49d79c1b7c3129455392a25378ae4a1c51d7f")
        #expect(
            BoreMessage.answer(secret: "", challenge: id)
                == "a843ecfc278c6e239b223976b9cb758e8c9edac1d25ce85ba612cae34fd1c9eb")
        #expect(BoreMessage.answer(secret: "secret", challenge: "not-a-uuid") == nil)
        #expect(BoreMessage.uuidBytes("67e5504410b1426f9247bb680e5fe0c8")?.count == 16)
        #expect(BoreMessage.uuidBytes("0x67e5504410b1426f9247bb680e5fe0") == nil)
    }

    @Test func framesSplitAtNULAndLongFramesAreRefused() throws {
        var reader = BoreFrameReader()
        reader.append(Array(#""Heartbeat"\#0{"Hel"#.utf8)[...])
        #expect(try reader.next() == Array(#""Heartbeat""#.utf8))
        #expect(try reader.next() == nil)
        reader.append(Array(#"lo":5}"#.utf8)[...] + [0])
        #expect(try reader.next() == Array(#"{"Hello":5}"#.utf8))
        #expect(reader.pending == 0)

        var flood = BoreFrameReader()
        flood.append([UInt8](repeating: UInt8(ascii: "x"), count: 257)[...])
        #expect(throws: TunnelError.self) { try flood.next() }
        var long = BoreFrameReader()
        long.append([UInt8](repeating: UInt8(ascii: "x"), count: 300)[...] + [0])
        #expect(throws: TunnelError.self) { try long.next() }
        var exact = BoreFrameReader()
        exact.append([UInt8](repeating: UInt8(ascii: "x"), count: 256)[...] + [0])
        #expect(try exact.next()?.count == 256)
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let client = BoreClient(config: BoreConfig(host: "127.0.0.1", localPort: 1, backoffBase: 0.5, backoffMax: 30))
        for attempt in 0..<40 {
            let delay = client.backoff(attempt)
            let ceiling = min(30, 0.5 * pow(2, Double(min(attempt, 30))))
            #expect(delay >= ceiling * 0.5 && delay < ceiling)
        }
        let draws = Set((0..<20).map { _ in client.backoff(6) })
        #expect(draws.count > 1)
    }

    @Test func errorsMapToExitStatuses() {
        #expect(TunnelError.secret("x").exitStatus == .config)
        #expect(TunnelError.secret("x").isFatal)
        #expect(TunnelError.server("client port number not in allowed range").isFatal)
        #expect(!TunnelError.server("port already in use").isFatal)
        #expect(TunnelError.unreachable("x").exitStatus == .unavailable)
        #expect(TunnelError.silence(8).description.contains("no heartbeat"))
    }
}
