import Foundation
import Shared
import TestSupport

/// Reads the known-answer files in Tests/Fixtures/wallet (written by peers/wallet_vectors.py from independent
/// implementations, or copied from go-ethereum).
enum WalletFixtures {
    static func json(_ name: String) throws -> JSON {
        try JSONParser.parse([UInt8](try Data(contentsOf: Paths.fixture("wallet/" + name))))
    }

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    /// Whether the tests run optimised (`make test`): scrypt and PBKDF2 with their real costs take seconds in a
    /// debug build, so those vectors run in the release test run only.
    static let isOptimized: Bool = {
        #if DEBUG
            false
        #else
            true
        #endif
    }()
}
