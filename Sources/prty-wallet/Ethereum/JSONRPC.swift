import Foundation
import Shared

/// An Ethereum JSON-RPC 2.0 client over Shared's HTTPClient (libcurl): every request has a connect timeout and
/// a total timeout; reads are retried on temporary failures, `eth_sendRawTransaction` never is (a resend is
/// answered "already known" and would hide the first outcome).
struct JSONRPC: Sendable {
    let url: String
    let http: HTTPClient
    let timeout: Double

    /// Calls `method`; the JSON-RPC `error` object becomes `WalletError.rpc` (or `.reverted` for an execution
    /// revert, with the decoded reason), a transport failure `WalletError.node` (exit 75 for timeouts and
    /// refused connections).
    func call(_ method: String, _ params: [JSON], idempotent: Bool = true) async throws -> JSON {
        let body: JSON = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .array(params)]
        var request = HTTPRequest.json(.post, url, Data(body.serialized().utf8))
        request.timeout = timeout
        request.connectTimeout = min(timeout, 10)
        request.maxResponseBytes = 16 << 20
        request.isIdempotent = idempotent
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPError {
            throw WalletError.node(method: method, error: error)
        }
        do {
            try response.requireSuccess()
        } catch {
            throw WalletError.node(method: method, error: error)
        }
        let reply: JSON
        do {
            reply = try JSONParser.parse(response.bytes)
        } catch {
            throw WalletError.badReply(method: method, detail: "not JSON (\(error))")
        }
        if let error = reply["error"], !error.isNull {
            let code = error["code"]?.intValue ?? 0
            let message = error["message"]?.stringValue ?? "(no message)"
            let data = error["data"]?.stringValue.flatMap(Hex.decode)
            if code == 3 || message.hasPrefix("execution reverted") || data.map({ !$0.isEmpty }) == true {
                throw WalletError.reverted(
                    what: method, reason: RevertReason.describe(data: data, message: message), hash: nil)
            }
            throw WalletError.rpc(method: method, code: code, message: message)
        }
        guard let result = reply["result"] else { throw WalletError.badReply(method: method, detail: "no result") }
        return result
    }

    /// A call whose result is a quantity (`0x…`).
    func quantity(_ method: String, _ params: [JSON]) async throws -> UInt256 {
        let result = try await call(method, params)
        guard let text = result.stringValue, let value = UInt256(hexQuantity: text) else {
            throw WalletError.badReply(method: method, detail: "expected a hex quantity, got \(result.serialized())")
        }
        return value
    }

    /// A call whose result is hex data (`0x…`).
    func data(_ method: String, _ params: [JSON]) async throws -> [UInt8] {
        let result = try await call(method, params)
        guard let text = result.stringValue, text.hasPrefix("0x"), let bytes = Hex.decode(text) else {
            throw WalletError.badReply(method: method, detail: "expected hex data, got \(result.serialized())")
        }
        return bytes
    }
}
