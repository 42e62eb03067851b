import Foundation
import Shared

/// `prty-fetch [get] CID`: retrieves the content, verifying every block against its CID, and prints a
/// Dataset document (CSV or JSON content) or, with `--raw`/`--output`, the verified bytes.
struct Get {
    static let command = Command(
        "get", summary: "retrieve and verify a CID; print it as a Dataset document or as raw bytes",
        arguments: "CID|/ipfs/CID|ipfs://CID", maxPositionals: 1,
        options: [
            Option(
                "gateway", short: "g", value: .repeated("URL"),
                help: "a trustless gateway origin (https://host), or file://DIR for a local block store; "
                    + "repeatable; env IPFS_GATEWAYS (comma-separated)"),
            Option("raw", help: "print the verified bytes instead of a Dataset document"),
            Option(
                "output", short: "o", value: .single("FILE"),
                help: "write the verified bytes to FILE (it appears only once every block is verified)",
                completion: .file),
            Option(
                "max-size", value: .single("SIZE"),
                help: "refuse content larger than SIZE (e.g. 512m, 2g; default 4g); env IPFS_MAX_BYTES"),
            Option(
                "timeout", value: .single("DURATION"),
                help: "per gateway request, or per silence in a CAR stream (default 60s); env IPFS_TIMEOUT"),
            Option(
                "cache-dir", value: .single("DIR"),
                help: "the verified block cache (default ~/.parity/ipfs); env IPFS_CACHE_DIR",
                completion: .directory),
            Option("no-cache", help: "neither read nor write the block cache"),
        ] + DatasetBuilder.commandOptions,
        examples: [
            "prty-fetch QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o --raw",
            "prty-fetch bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4 -g https://ipfs.io -o hello.txt",
            "prty-fetch ipfs://QmXyz… --label-column species --missing drop > dataset.json",
            "prty-fetch /ipfs/QmXyz… --gateway file:///srv/blocks --no-cache",
        ],
        discussion: """
            Every block is checked against its CID before a byte of it is used, and a gateway that serves a bad
            block is dropped for the rest of the run. The whole DAG is first asked for as one CAR from the best
            gateway; what it does not deliver is fetched block by block from all of them, by score (successes /
            (attempts + 3·errors)), a slow gateway raced by the next. Verified blocks are kept in a local cache
            (IPFS_CACHE_DIR, at most IPFS_CACHE_MAX_BYTES, least recently used out first), so a second fetch of
            the same content is local. Limits against DAG bombs: --max-size, 10,000 links per node, depth 64.
            Gateways default to IPFS_GATEWAYS, else https://trustless-gateway.link, https://ipfs.io,
            https://dweb.link.
            """)

    let cid: CID
    let gateways: [Gateway]
    let output: Output
    let options: Retrieval.Options
    let cache: BlockCache?
    let builder: DatasetBuilder
    let format: DatasetBuilder.Format
    let log: Log

    enum Output {
        case dataset
        case stdout
        case file(String)
    }

    init(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        log = invocation.log
        guard let text = arguments.positionals.first else {
            throw UsageError("get needs a CID, e.g. 'prty-fetch QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o --raw'")
        }
        cid = try Self.parseCID(text)
        let settings = try Settings.load(arguments: arguments, log: invocation.log)
        gateways = try Self.gateways(arguments, settings)
        let timeout = try settings.duration(.ipfsTimeout, flag: "timeout")
        guard timeout > 0 else { throw UsageError("--timeout must be more than zero, e.g. 30s") }
        let maxSize = try settings.size(.ipfsMaxBytes, flag: "max-size")
        guard maxSize > 0 else { throw UsageError("--max-size must be more than zero, e.g. 2g") }
        options = Retrieval.Options(timeout: timeout, limits: Assembly.Limits(maxSize: UInt64(maxSize)))
        if arguments.flag("no-cache") {
            if arguments.value("cache-dir") != nil {
                throw UsageError("--cache-dir and --no-cache contradict each other")
            }
            cache = nil
        } else {
            let directory = LocalPath.expand(settings.path(.ipfsCacheDir, flag: "cache-dir"))
            cache = BlockCache(directory: directory, maxBytes: try settings.size(.ipfsCacheMaxBytes))
        }
        if let path = arguments.value("output") {
            output = .file(LocalPath.expand(path))
        } else {
            output = arguments.flag("raw") ? .stdout : .dataset
        }
        if case .dataset = output {
        } else {
            if let used = DatasetBuilder.optionNames.sorted().first(where: { arguments.flag($0) }) {
                throw UsageError("--\(used) shapes a Dataset document, which --raw and --output do not print")
            }
        }
        builder = try DatasetBuilder(arguments: arguments)
        format = DatasetBuilder.format(arguments)
    }

    /// Accepts `CID`, `/ipfs/CID` and `ipfs://CID` (a trailing `/` too); a path inside the CID is refused.
    static func parseCID(_ text: String) throws(FetchError) -> CID {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.lowercased().hasPrefix("ipfs://") {
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("/ipfs/") {
            rest = rest.dropFirst(6)
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        if let slash = rest.firstIndex(of: "/") {
            throw .usage("'\(text)' has a path (\(rest[slash...])); prty-fetch retrieves one file: give its own CID")
        }
        return try CID(String(rest))  // malformed is a usage error, unsupported bad data (FetchError.exitStatus)
    }

    /// `--gateway` (repeatable, each may hold commas), else IPFS_GATEWAYS from the environment or `.env`, else
    /// the default list. Unlike other URL lists, `file://DIR` is allowed.
    static func gateways(_ arguments: Arguments, _ settings: Settings) throws -> [Gateway] {
        let flags = arguments.values("gateway")
        let (texts, source): ([String], Settings.Source) =
            flags.isEmpty
            ? {
                let found = settings.lookup(.ipfsGateways)
                return ([found.text], found.source)
            }()
            : (flags, .flag("gateway"))
        var gateways = [Gateway]()
        for text in texts {
            for part in text.split(separator: ",") {
                let item = part.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else { continue }
                do {
                    let gateway = try Gateway(parsing: item)
                    if !gateways.contains(gateway) { gateways.append(gateway) }
                } catch {
                    if case .flag = source { throw UsageError("--gateway: \(error)") }
                    throw ConfigError("IPFS_GATEWAYS (\(source)): \(error)")
                }
            }
        }
        guard !gateways.isEmpty else {
            if case .flag = source { throw UsageError("--gateway needs a URL") }
            throw ConfigError("IPFS_GATEWAYS (\(source)) names no gateway")
        }
        for gateway in gateways {
            if case .local(let store) = gateway.kind, !store.exists {
                throw FetchError.missingFile("the block store \(store.directory) (from \(gateway)) does not exist")
            }
        }
        return gateways
    }

    func run() async throws {
        let pool = GatewayPool(gateways)
        let retrieval = Retrieval(pool: pool, client: .live, cache: cache, options: options, log: log)
        switch output {
        case .file(let path):
            let file = try OutputFile(path: path)
            _ = try await retrieval.run(cid) { piece in try piece.withUnsafeBytes { try file.write($0) } }
            try file.commit()
        case .stdout:
            // The verified pieces are kept as they are (slices of their blocks) and written once all is verified.
            var pieces = [ArraySlice<UInt8>]()
            _ = try await retrieval.run(cid) { pieces.append($0) }
            for piece in pieces {
                try piece.withUnsafeBytes { try OutputFile.writeAll(STDOUT_FILENO, $0, "stdout") }
            }
        case .dataset:
            var content = [UInt8]()
            _ = try await retrieval.run(
                cid, expect: { content.reserveCapacity(Int($0)) }, sink: { content.append(contentsOf: $0) })
            let dataset = try builder.build(content, format: format, cid: cid.description)
            DatasetWriter.writeStdout(dataset)
        }
        cache?.trim()
    }
}
