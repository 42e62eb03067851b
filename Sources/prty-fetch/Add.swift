import Foundation
import Shared

/// `prty-fetch add FILE`: the CID `ipfs add` gives the file (CIDv0 with dag-pb leaves by default,
/// `--cid-version 1` for CIDv1 with raw leaves), and optionally its blocks in a store or a CAR. Nothing is
/// published to a network: this makes content-addressed fixtures and offline stores.
struct Add {
    static let command = Command(
        "add", summary: "print the CID 'ipfs add' gives a file; optionally write its blocks to a store or a CAR",
        arguments: "FILE", maxPositionals: 1,
        options: [
            Option(
                "cid-version", value: .single("0|1"),
                help: "0 (default): CIDv0 with dag-pb leaves; 1: CIDv1 with raw leaves, as 'ipfs add --cid-version 1'",
                completion: .choices(["0", "1"])),
            Option(
                "raw-leaves", value: .single("true|false"),
                help: "with --cid-version 1: leaves as raw blocks (default true, as kubo); false for dag-pb leaves",
                completion: .choices(["true", "false"])),
            Option(
                "store", value: .single("DIR"),
                help: "also write every block into DIR (flatfs layout; read it back with --gateway file://DIR)",
                completion: .directory),
            Option(
                "car", value: .single("FILE"), help: "also write the DAG as a CARv1 file (root first, depth-first)",
                completion: .file),
            Option("json", help: "print {cid, size, blocks, …} instead of the bare CID"),
        ],
        examples: [
            "prty-fetch add iris.csv",
            "prty-fetch add --cid-version 1 --store ~/.parity/store data.csv",
            "prty-fetch add --car data.car data.csv && prty-fetch --gateway file://~/.parity/store CID",
        ],
        discussion: """
            Chunks the file like kubo's defaults (256 KiB chunks, balanced DAG, 174 links per node), so the CID is
            the one 'ipfs add' (or 'ipfs add --cid-version 1') prints. FILE may be - for stdin.
            """)

    let path: String
    let builder: UnixFSBuilder
    let store: BlockStore?
    let carPath: String?
    let json: Bool

    init(_ arguments: Arguments) throws {
        guard let path = arguments.positionals.first else {
            throw UsageError("add needs a FILE, e.g. 'prty-fetch add data.csv'")
        }
        self.path = path
        let version: CID.Version = arguments.value("cid-version") == "1" ? .v1 : .v0
        let rawLeaves = arguments.value("raw-leaves").map { $0 == "true" }
        if version == .v0 && rawLeaves == true {
            throw UsageError("--raw-leaves true needs --cid-version 1 (a CIDv0 DAG has dag-pb leaves)")
        }
        builder = UnixFSBuilder(cidVersion: version, rawLeaves: rawLeaves)
        store = arguments.value("store").map { BlockStore(directory: LocalPath.expand($0)) }
        carPath = arguments.value("car").map(LocalPath.expand)
        json = arguments.flag("json")
    }

    func run(log: Log) throws {
        let file = try MappedFile(path: path, what: "the file to add")
        let (dag, size) = file.withBytes { (builder.build($0), $0.count) }
        if store != nil || carPath != nil {
            try file.withBytes { content in try write(dag, content) }
        }
        if json {
            var document: [String: JSON] = [
                "cid": .string(dag.rootCID.description), "cid_version": .int(builder.cidVersion.rawValue),
                "raw_leaves": .bool(builder.rawLeaves), "size": .int(size), "blocks": .int(dag.blockCount),
                "dag_size": .uint64(dag.blockBytes),
            ]
            if let store { document["store"] = .string(store.directory) }
            if let carPath { document["car"] = .string(carPath) }
            Tool.writeStdout(JSON.object(document).serialized() + "\n")
        } else {
            Tool.writeStdout(dag.rootCID.description + "\n")
        }
        log.debug("added", "\(path): \(size) bytes, \(dag.blockCount) blocks, \(dag.rootCID)")
    }

    private func write(_ dag: UnixFSBuilder.DAG, _ content: UnsafeRawBufferPointer) throws {
        var car: OutputFile? = nil
        if let carPath {
            car = try OutputFile(path: carPath)
            try car!.write(CARWriter.header(roots: [dag.rootCID]))
        }
        try builder.forEachBlock(dag, content) { cid, block in
            if let store {
                do {
                    try store.write(cid.multihash, block)
                } catch {
                    throw FetchError.io("cannot write to the store: \(error)")
                }
            }
            try car?.write(CARWriter.section(cid, block))
        }
        try car?.commit()
    }
}
