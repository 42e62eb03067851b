/// `HTTPBody.lines`.
public struct HTTPLines: AsyncSequence, Sendable {
    public typealias Element = String
    let body: HTTPBody

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPBody.AsyncIterator
        var pending: [UInt8] = []
        var start = 0
        var finished = false

        public mutating func next() async throws -> String? {
            while true {
                if let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > start && pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let line = String(decoding: pending[start..<end], as: UTF8.self)
                    start = newline + 1
                    return line
                }
                if finished {
                    guard start < pending.count else { return nil }
                    var end = pending.count
                    if pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let line = String(decoding: pending[start..<end], as: UTF8.self)
                    start = pending.count
                    return line
                }
                if start > 0 {
                    pending.removeSubrange(..<start)
                    start = 0
                }
                if let chunk = try await chunks.next() {
                    pending += chunk
                } else {
                    finished = true
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}
