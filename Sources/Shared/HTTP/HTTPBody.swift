/// A response body arriving in chunks, in order, as the server sends them. Iterate it once. A transfer that is
/// read slowly waits (about 1 MiB is buffered), so a download never piles up in memory; cancelling the reading
/// task, or dropping the body unread, aborts the transfer.
///
///     for try await line in response.body.lines { … }   // NDJSON
public struct HTTPBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    fileprivate enum Source: Sendable {
        case channel(BodyReader)
        case stream(AsyncThrowingStream<[UInt8], any Error>)
    }
    private let source: Source

    /// A body from fixed chunks (for fakes and tests).
    public init(_ chunks: [[UInt8]]) {
        self.init(
            AsyncThrowingStream { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            })
    }

    /// A body from any stream of chunks.
    public init(_ stream: AsyncThrowingStream<[UInt8], any Error>) {
        source = .stream(stream)
    }

    init(channel: BodyChannel) {
        source = .channel(BodyReader(channel))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private enum Base {
            case channel(BodyReader)
            case stream(AsyncThrowingStream<[UInt8], any Error>.AsyncIterator)
        }
        private var base: Base

        fileprivate init(_ source: Source) {
            switch source {
            case .channel(let reader): base = .channel(reader)
            case .stream(let stream): base = .stream(stream.makeAsyncIterator())
            }
        }

        public mutating func next() async throws -> [UInt8]? {
            switch base {
            case .channel(let reader):
                return try await reader.channel.next()
            case .stream(var iterator):
                let chunk = try await iterator.next()
                base = .stream(iterator)
                return chunk
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source) }

    /// The body split at `\n` (a trailing `\r` removed), as UTF-8 text: one NDJSON record per element. A last
    /// line without a newline is delivered too.
    public var lines: HTTPLines { HTTPLines(body: self) }
}
