import Foundation
import Shared

/// `prty-fetch [get] CID`: retrieves the content, verifying every block against its CID, and prints a
/// Dataset document (CSV or JSON content) or, with `--raw`/`--output`, the verified bytes.
struct Get {
    static let command = Command(
        "get", summary: "retrieve and verify a CID; print it as a Dataset document or as raw bytes",
        arguments: "CID|/ipfs/CID|ipfs://CID", maxPositionals: 1,
        options: [
            Option("gateway", short: "g", value: .repeated("URL"),
                   help: "a trustless gateway origin (https://host), or file://DIR for a local block store; "
                       + "repeatable; env IPFS_GATEWAYS"),
            Option("format", value: .single("csv|json|auto"),
                   help: "how to read the content (default auto: JSON if it starts with { or [, else CSV)",
                   completion: .choices(["csv", "json", "auto"])),
            Option("raw", help: "print the verified bytes instead of a Dataset document"),
            Option("output", short: "o", value: .single("FILE"),
                   help: "write the verified bytes to FILE (created only once every block is verified)",
                   completion: .file),
            Option("max-size", value: .single("SIZE"),
                   help: "refuse content larger than SIZE (e.g. 512m, 2g; default 4g); env IPFS_MAX_BYTES"),
            Option("timeout", value: .single("DURATION"),
                   help: "give up on a gateway request after DURATION (e.g. 30s; default 60s); env IPFS_TIMEOUT"),
            Option("cache-dir", value: .single("DIR"),
                   help: "the verified block cache (default ~/.parity/ipfs); env IPFS_CACHE_DIR",
                   completion: .directory),
            Option("no-cache", help: "neither read nor write the block cache"),
            Option("header", help: "the CSV's first row is a header"),
            Option("no-header", help: "the CSV's first row is data (default: a header when a feature cell is not a number)"),
            Option("label-column", value: .single("NAME|INDEX"),
                   help: "the CSV column holding the labels, by header name or 0-based index (default: the last)"),
            Option("missing", value: .single("error|drop|mean"),
                   help: "empty cells: fail naming row and column (default), drop the row, or use the column mean",
                   completion: .choices(["error", "drop", "mean"])),
            Option("regression", help: "numeric labels are a regression target even when they are all integers"),
        ],
        examples: [
            "prty-fetch QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o --raw",
            "prty-fetch bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4 -g https://ipfs.io -o hello.txt",
            "prty-fetch ipfs://QmXyz… --label-column species --missing drop > dataset.json",
            "prty-fetch /ipfs/QmXyz… --gateway file:///srv/blocks --no-cache",
        ],
        discussion: """
            Every block is checked against its CID before a byte of it is used; a gateway that serves a bad block
            is dropped for the rest of the run. Gateways are tried by score (successes / (attempts + 3·errors)),
            a slow one is raced by the next, and a failure moves on to the next. Verified blocks are kept in a
            local cache (IPFS_CACHE_DIR, bounded by IPFS_CACHE_MAX_BYTES) so a second fetch is local.
            """)

    init(_ invocation: Invocation) throws {
        throw UsageError("get is being built")
    }

    func run() async throws {}
}
