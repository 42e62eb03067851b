import Foundation
import Shared
import TestSupport
import Testing

@testable import prty_fetch

/// Seeded mutation tests (issue 14): a fixed number of deterministic mutations of valid inputs go through each
/// parser that reads untrusted bytes — CSV and JSON datasets, the shared Dataset reader, CID strings and binary
/// CIDs, CAR streams and dag-pb nodes. Every mutant either parses (into a value that keeps its invariants) or
/// fails with a typed, one-line error; none may trap, which would end this test process.
struct ParserMutationTests {
    static let mutantsPerInput = 400

    /// A deterministic mutant of `input`: one to three edits among flipping a bit, replacing, inserting or
    /// deleting a byte (often a byte that means something to the format), cutting the end, or repeating a piece.
    static func mutate(_ input: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        let special: [UInt8] = Array("\"',\n\r[]{}:-+.e0 9\\".utf8) + [0x00, 0x7F, 0x80, 0xBF, 0xC3, 0xFF]
        var bytes = input
        for _ in 0...random.nextInt(below: 3) {
            let at = bytes.isEmpty ? 0 : random.nextInt(below: bytes.count)
            switch random.nextInt(below: 7) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1) << UInt8(random.nextInt(below: 8))
            case 1 where !bytes.isEmpty: bytes[at] = special[random.nextInt(below: special.count)]
            case 2: bytes.insert(special[random.nextInt(below: special.count)], at: at)
            case 3 where !bytes.isEmpty: bytes.remove(at: at)
            case 4: bytes = Array(bytes.prefix(at))
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, at + 1 + random.nextInt(below: 16))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            }
        }
        return bytes
    }

    static func mutants(of input: [UInt8], seed: UInt64) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        return (0..<mutantsPerInput).map { _ in mutate(input, &random) }
    }

    /// A clean error: a typed error that says something, and prints as one line of bounded length (the log
    /// escapes the control characters an input may put into a message, and elides a huge one).
    static func expectClean(_ error: any Error, _ what: String) {
        let text = "\(error)"
        let printed = Excerpt.line(text)
        #expect(!text.isEmpty && !printed.contains("\n") && printed.count <= 2100, "\(what): \(printed)")
    }

    static func expectValid(_ dataset: Dataset) {
        #expect(dataset.count > 0 && dataset.width > 0)
        #expect(dataset.features.count == dataset.count * dataset.width)
        #expect(dataset.features.allSatisfy(\.isFinite) && dataset.labels.allSatisfy(\.isFinite))
        if dataset.task == .classification { #expect(dataset.labels.allSatisfy(Set(dataset.classes).contains)) }
    }

    static let csv: [UInt8] = {
        let text = (try? String(contentsOf: Paths.fixture("iris.csv"), encoding: .utf8)) ?? ""
        return Array(text.split(separator: "\n").prefix(12).joined(separator: "\n").utf8) + [0x0A]
    }()

    @Test func csvMutantsParseOrFailCleanly() {
        #expect(!Self.csv.isEmpty)
        var parsed = 0
        for (index, mutant) in Self.mutants(of: Self.csv, seed: 1401).enumerated() {
            for options in [
                DatasetBuilder.Options(),
                {
                    var o = DatasetBuilder.Options()
                    o.missing = .mean
                    return o
                }(),
            ] {
                do {
                    Self.expectValid(try DatasetBuilder(options: options).build(mutant, format: .csv, cid: nil))
                    parsed += 1
                } catch {
                    Self.expectClean(error, "csv mutant \(index)")
                }
            }
        }
        #expect(parsed > 0)  // the mutations are small: some still parse
    }

    static let jsonInputs: [[UInt8]] = [
        Array(#"{"features":[[5.1,3.5],[4.9,-3e-2],[6.2,1e3]],"labels":[0,1,2],"feature_names":["a","b"]}"#.utf8),
        Array(#"{"features":[[1,2],[3,4],[5,6]],"labels":["x","y","x"]}"#.utf8),
        Array(#"[[1,2,"a"],[3,4,"b"],[5,null,"a"]]"#.utf8),
        DatasetWriter.bytes(
            Dataset(
                features: [1, 2, 3, 4], width: 2, labels: [0, 1], task: .classification, classes: [0, 1],
                labelNames: ["no", "yes"], featureNames: ["f", "g"])),
    ]

    @Test func jsonDatasetMutantsParseOrFailCleanly() {
        var parsed = 0
        for (input, valid) in Self.jsonInputs.enumerated() {
            for (index, mutant) in Self.mutants(of: valid, seed: 1402 + UInt64(input)).enumerated() {
                do {
                    Self.expectValid(try DatasetBuilder(options: .init()).build(mutant, format: .json, cid: nil))
                    parsed += 1
                } catch {
                    Self.expectClean(error, "JSON input \(input) mutant \(index)")
                }
                do {
                    Self.expectValid(try DatasetReader.read(mutant))  // the reader prty-partition and prty-train use
                } catch {
                    Self.expectClean(error, "reader: JSON input \(input) mutant \(index)")
                }
            }
        }
        #expect(parsed > 0)
    }

    static let cids = [
        CIDTests.helloV0, CIDTests.helloRaw, "QmT5ZF9jLnr3UZPXtSvRwS9rqhq4fh7Qo6T3TrcpJsffmc",
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
        "ipfs://bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    ]

    @Test func cidMutantsParseOrFailCleanly() throws {
        for (input, valid) in Self.cids.enumerated() {
            for (index, mutant) in Self.mutants(of: Array(valid.utf8), seed: 1410 + UInt64(input)).enumerated() {
                let text = String(decoding: mutant, as: UTF8.self)
                do {
                    let cid = try CID(text)
                    #expect(try CID(cid.description) == cid, "CID \(input) mutant \(index) does not round-trip")
                } catch {
                    Self.expectClean(error, "CID \(input) mutant \(index)")
                }
            }
            // The binary form, as CAR sections and dag-pb links carry it.
            if let cid = try? CID(valid) {
                for (index, mutant) in Self.mutants(of: cid.bytes, seed: 1420 + UInt64(input)).enumerated() {
                    do { _ = try CID(bytes: mutant) } catch { Self.expectClean(error, "binary CID mutant \(index)") }
                }
            }
        }
    }

    @Test func carMutantsParseOrFailCleanly() throws {
        let (car, _, _) = try CARTests.sample()
        for (index, mutant) in Self.mutants(of: car, seed: 1430).enumerated() {
            for pieceSize in [mutant.count, 5] {
                var reader = CARReader(maxSection: 1 << 16)
                do {
                    var start = 0
                    while start < mutant.count {
                        let end = min(start + pieceSize, mutant.count)
                        _ = try Array(mutant[start..<end]).withUnsafeBytes { try reader.feed($0) }
                        start = end
                    }
                    try reader.finish()
                } catch {
                    Self.expectClean(error, "CAR mutant \(index)")
                }
            }
        }
    }

    @Test func dagPBMutantsParseOrFailCleanly() throws {
        let leafCID = CID.of(DagPBTests.helloLeaf, codec: .dagPB, version: .v0)
        let node = DagPBNode(
            links: [
                DagPBNode.Link(cid: leafCID, name: Array("a".utf8), size: 20),
                DagPBNode.Link(cid: leafCID, name: nil, size: 20),
            ],
            data: [0x08, 0x02, 0x18, 0x18, 0x20, 0x0C, 0x20, 0x0C])
        for (input, valid) in [DagPBTests.helloLeaf, node.encoded()].enumerated() {
            for (index, mutant) in Self.mutants(of: valid, seed: 1440 + UInt64(input)).enumerated() {
                do {
                    let decoded = try DagPBNode(decoding: mutant, maxLinks: 64)
                    #expect(decoded.encoded() == mutant, "dag-pb \(input) mutant \(index): decoding is not canonical")
                    if let data = decoded.data {
                        do { _ = try UnixFSData(decoding: data) } catch { Self.expectClean(error, "unixfs \(index)") }
                    }
                } catch {
                    Self.expectClean(error, "dag-pb \(input) mutant \(index)")
                }
            }
        }
    }
}
