import Shared

/// Everything prty-wallet reports. Each message names what failed and what to do next; each case maps to one
/// of the exit statuses in docs/exit-codes.md (the runner relies on 78 for "no key yet").
enum WalletError: ExitStatusError, Equatable {
    /// No keystore file: exit 78, and the runner tells its operator to run auth.
    case noKey(path: String)
    /// The original runner's `{"private_key": …}` file: never read silently.
    case plaintextKeystore(path: String)
    case keystoreExists(path: String, address: String)
    /// The keystore is not a Web3 Secret Storage v3 document we can use.
    case badKeystore(path: String, detail: String)
    /// The MAC does not match: the password is wrong (or the file was altered).
    case wrongPassword(path: String)
    case loosePermissions(path: String, mode: String)
    case badPrivateKey(String)
    case password(String)
    case amount(String)
    case chainMismatch(configured: UInt64, node: UInt64, rpc: String)
    case noContract(key: String, address: String)
    case insufficient(String)
    /// The node could not be reached or did not answer in time (exit 75 for refused connections and timeouts).
    case node(method: String, error: HTTPError)
    /// A JSON-RPC error object other than a revert.
    case rpc(method: String, code: Int, message: String)
    /// The node answered with something that is not what the method returns.
    case badReply(method: String, detail: String)
    /// The transaction (or its gas estimate) reverted: `reason` is the decoded revert reason.
    case reverted(what: String, reason: String, hash: String?)
    /// No receipt within the timeout: the transaction may still be mined.
    case receiptTimeout(what: String, hash: String, seconds: Double)
    case feeCap(what: String, perGasGwei: String, capGwei: String)
    case file(path: String, detail: String)
    case `internal`(String)

    var description: String {
        switch self {
        case .noKey(let path):
            "no wallet key in \(path): run 'prty-wallet auth' first"
        case .plaintextKeystore(let path):
            "\(path) holds an unencrypted private key (the original runner's format); "
                + "run 'prty-wallet auth --migrate' to encrypt it in place"
        case .keystoreExists(let path, let address):
            "a keystore for \(address) already exists at \(path); pass --force to replace it "
                + "(the old file is kept beside it as a backup)"
        case .badKeystore(let path, let detail):
            "\(path) is not a usable Web3 Secret Storage v3 keystore: \(detail)"
        case .wrongPassword(let path):
            "wrong password for \(path) (the keystore's MAC does not match; if the password is right, "
                + "the file has been altered)"
        case .loosePermissions(let path, let mode):
            "refusing to use \(path): its mode is \(mode), so other users can read it; run 'chmod 600 \(path)'"
        case .badPrivateKey(let message), .password(let message), .amount(let message), .insufficient(let message):
            message
        case .chainMismatch(let configured, let node, let rpc):
            "BLOCKCHAIN_CHAIN_ID is \(configured) but the node at \(rpc) serves chain \(node); "
                + "nothing was signed: fix BLOCKCHAIN_CHAIN_ID or BLOCKCHAIN_RPC"
        case .noContract(let key, let address):
            "there is no contract at \(key)=\(address) on this chain; check the address and BLOCKCHAIN_RPC"
        case .node(let method, let error):
            "cannot reach the Ethereum node (BLOCKCHAIN_RPC) for \(method): \(error)"
        case .rpc(let method, let code, let message):
            "\(method) failed: \(message) (JSON-RPC error \(code))"
        case .badReply(let method, let detail):
            "\(method): unexpected reply from the node: \(detail)"
        case .reverted(let what, let reason, let hash):
            if let hash {
                "\(what) reverted: \(reason) (transaction \(hash))"
            } else {
                "\(what) would revert: \(reason); nothing was sent"
            }
        case .receiptTimeout(let what, let hash, let seconds):
            "\(what): no receipt for \(hash) after \(Int(seconds.rounded())) s; it may still be mined: check it "
                + "before sending again (raise BLOCKCHAIN_RECEIPT_TIMEOUT to wait longer)"
        case .feeCap(let what, let perGas, let cap):
            "\(what) would pay up to \(perGas) gwei per gas, above BLOCKCHAIN_MAX_FEE_GWEI=\(cap); "
                + "nothing was sent: try again when fees are lower or raise the cap"
        case .file(let path, let detail):
            "\(path): \(detail)"
        case .internal(let message):
            message
        }
    }

    var exitStatus: ExitStatus {
        switch self {
        case .noKey, .plaintextKeystore, .chainMismatch, .noContract: .config
        case .keystoreExists, .badPrivateKey, .password, .amount: .usage
        case .badKeystore, .badReply: .dataError
        case .wrongPassword, .loosePermissions: .noPermission
        case .insufficient, .rpc, .reverted, .file: .failure
        case .receiptTimeout, .feeCap: .tempFailure
        case .internal: .software
        case .node(_, let error): error.exitStatus
        }
    }
}
