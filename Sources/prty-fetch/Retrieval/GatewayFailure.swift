import Shared

/// One gateway's answer for one request, when it was not the block or CAR asked for, and why.
struct GatewayFailure: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable { case notFound, unavailable, invalid }
    let gateway: String
    let kind: Kind
    let message: String
    var description: String { "\(gateway): \(message)" }

    init(gateway: String, kind: Kind, message: String) {
        self.gateway = gateway
        self.kind = kind
        self.message = message
    }

    /// A transport error: an HTTP status judged as below, anything else (refused, timed out) unavailable.
    init(_ gateway: String, _ error: HTTPError) {
        if case .status(let code, _, _) = error {
            self.init(gateway, status: code, what: "the request")
        } else {
            self.init(gateway: gateway, kind: .unavailable, message: "\(error)")
        }
    }

    /// A status other than 200 for `what`: 404 and 410 say the gateway does not have it.
    init(_ gateway: String, status: Int, what: String) {
        switch status {
        case 404, 410: self.init(gateway: gateway, kind: .notFound, message: "HTTP \(status) (does not have \(what))")
        default: self.init(gateway: gateway, kind: .unavailable, message: "HTTP \(status) for \(what)")
        }
    }

    /// The run's error once `block` could not be had, judged by what the gateways said about that block:
    /// not found everywhere (66), bad everywhere it was found (65), or some gateway timed out or failed (75:
    /// retrying may help). Of `notes` (what went wrong with the CAR), bans count too; the rest only add to the
    /// message.
    static func verdict(root: CID, block: CID, failures: [GatewayFailure], notes: [GatewayFailure] = []) -> FetchError {
        let name = block.multihash == root.multihash ? root.description : "block \(block) of \(root)"
        let messages = (notes + failures).map(\.description)
        // A gateway banned for lying in this run is a gateway that served bad content: it counts.
        let judged = failures + notes.filter { $0.kind == .invalid }
        if judged.isEmpty {
            return .noValidBlock(cid: name, attempts: messages + ["no usable gateway is left"])
        }
        if judged.allSatisfy({ $0.kind == .notFound }) { return .notFound(cid: name, attempts: messages) }
        if judged.contains(where: { $0.kind == .unavailable }) { return .unavailable(cid: name, attempts: messages) }
        return .noValidBlock(cid: name, attempts: messages)
    }
}
