import Testing
@testable import Shared

/// The writer: what it writes reads back unchanged, the same dataset is always the same bytes, keys are sorted.
struct DatasetWriterTests {
    static func randomDataset(_ random: inout SeededRandom, rows: Int, width: Int, regression: Bool = false)
        -> Dataset
    {
        let features = (0..<rows * width).map { index -> Double in
            switch index % 3 {
            case 0: return Double(random.next() >> 11) / 9_007_199_254_740_992 * 8 - 4
            case 1: return Double(random.nextInt(below: 2001) - 1000) / 100
            default:
                let value = Double(bitPattern: random.next())
                return value.isFinite ? value : 0
            }
        }
        if regression {
            let labels = (0..<rows).map { _ in Double(random.next() >> 11) / 9_007_199_254_740_992 * 100 }
            return Dataset(features: features, width: width, labels: labels, task: .regression, classes: [])
        }
        let labels = (0..<rows).map { _ in Double(random.nextInt(below: 3)) }
        return Dataset(features: features, width: width, labels: labels, task: .classification, classes: [0, 1, 2])
    }

    @Test func writeThenReadIsTheIdentity() throws {
        var random = SeededRandom(seed: 11)
        for round in 0..<40 {
            var dataset = Self.randomDataset(&random, rows: random.nextInt(below: 300), width: 1 + round % 7,
                                             regression: round % 4 == 3)
            if round % 2 == 0 {
                dataset.featureNames = (0..<dataset.width).map { "f\($0) \"quoted\" é" }
                dataset.source = ["cid": "QmTest", "format": "csv"]
                dataset.partition = ["strategy": "random", "sizes": [1, 2], "alpha": 0.5]
            }
            if round % 4 == 0 { dataset.labelNames = ["setosa", "versicolor", "virginica"] }
            let bytes = DatasetWriter.bytes(dataset)
            let back = try DatasetReader.read(bytes)
            #expect(back == dataset)
            // -0.0 is written "0" (NumberFormat's convention); every other value keeps its exact bits.
            func bits(_ values: [Double]) -> [UInt64] { values.map { $0 == 0 ? 0 : $0.bitPattern } }
            #expect(bits(back.features) == bits(dataset.features))
            #expect(DatasetWriter.bytes(back) == bytes)
        }
    }

    @Test func sameDatasetSameBytes() {
        var first = SeededRandom(seed: 5), second = SeededRandom(seed: 5)
        let a = Self.randomDataset(&first, rows: 500, width: 4), b = Self.randomDataset(&second, rows: 500, width: 4)
        #expect(DatasetWriter.bytes(a) == DatasetWriter.bytes(b))
    }

    @Test func keysAreSortedAndTheTextMatchesTheJSONWriter() throws {
        var dataset = Dataset(features: [1, 2.5, -0.0, 1e-7], width: 2, labels: [0, 1], task: .classification,
                              classes: [0, 1], labelNames: ["no", "yes"], featureNames: ["a", "b"],
                              source: ["format": "csv", "cid": "Qm"], partition: ["take": "train", "part_index": 0])
        let text = String(decoding: DatasetWriter.bytes(dataset), as: UTF8.self)
        #expect(text == #"{"classes":[0,1],"feature_names":["a","b"],"features":[[1,2.5],[0,1e-07]],"#
            + #""format":"prty.dataset/1","label_names":["no","yes"],"labels":[0,1],"#
            + #""partition":{"part_index":0,"take":"train"},"source":{"cid":"Qm","format":"csv"},"#
            + #""task":"classification"}"# + "\n")
        // The general writer sorts keys the same way and formats numbers the same way.
        #expect(try JSONParser.parse(text).serialized() + "\n" == text)

        dataset = Dataset(features: [0.5], width: 1, labels: [3.25], task: .regression, classes: [])
        #expect(String(decoding: DatasetWriter.bytes(dataset), as: UTF8.self)
            == #"{"features":[[0.5]],"format":"prty.dataset/1","labels":[3.25],"task":"regression"}"# + "\n")
    }

    @Test func emptyDatasetsRoundTrip() throws {
        let empty = Dataset(features: [], width: 0, labels: [], task: .classification, classes: [])
        let bytes = DatasetWriter.bytes(empty)
        #expect(String(decoding: bytes, as: UTF8.self)
            == #"{"classes":[],"features":[],"format":"prty.dataset/1","labels":[],"task":"classification"}"# + "\n")
        #expect(try DatasetReader.read(bytes, allowEmpty: true) == empty)
        #expect(throws: DataError.self) { try DatasetReader.read(bytes) }  // no tool takes it as input
        let named = Dataset(features: [], width: 3, labels: [], task: .regression, classes: [],
                            featureNames: ["a", "b", "c"])
        #expect(try DatasetReader.read(DatasetWriter.bytes(named), allowEmpty: true) == named)
    }

    @Test func wideRowsAndManyRowsCrossTheScratchChunks() throws {
        var random = SeededRandom(seed: 9)
        for (rows, width) in [(1, 3000), (5000, 1), (700, 33)] {
            let dataset = Self.randomDataset(&random, rows: rows, width: width)
            #expect(try DatasetReader.read(DatasetWriter.bytes(dataset)) == dataset)
        }
    }

    /// A dataset with every field and awkward values: names that need escapes, subnormals, huge and tiny
    /// magnitudes, integers, -0.0, and enough rows to cross many chunks.
    static func tricky() -> Dataset {
        var random = SeededRandom(seed: 2026)
        var dataset = randomDataset(&random, rows: 3001, width: 7)
        dataset.features[0] = -0.0
        dataset.features[1] = .leastNonzeroMagnitude
        dataset.features[2] = -1.7976931348623157e308
        dataset.features[3] = 1e15
        dataset.features[4] = 123_456_789_012_345
        dataset.features[5] = 0.1 + 0.2
        dataset.featureNames = (0..<7).map { "f\($0) \"q\" \\ é\n\u{1}" }
        dataset.labelNames = ["a", "b\"", "ü"]
        dataset.source = ["cid": "QmTest", "format": "csv"]
        dataset.partition = ["strategy": "random", "sizes": [1, 2, 3001], "alpha": 0.5, "class_counts": [[1, 2, 3]]]
        return dataset
    }

    /// The streamed writer gives, for any chunk size, the bytes the whole-document writer gave before it
    /// streamed (the digest was taken from that writer), and `bytes` gives the same.
    @Test(arguments: [1, 100, 4096, 1 << 16, 1 << 20])
    func streamedOutputIsTheWholeDocumentsBytes(chunkSize: Int) {
        let dataset = Self.tricky()
        var streamed = [UInt8]()
        var pieces = 0
        DatasetWriter.write(dataset, chunkSize: chunkSize) { chunk in
            streamed.append(contentsOf: chunk)
            pieces += 1
        }
        let whole = DatasetWriter.bytes(dataset)
        #expect(streamed == whole)
        #expect(Hex.encode(SHA256.hash(whole)) == Self.trickyDigest)
        if chunkSize <= 4096 { #expect(pieces > 10) }
    }

    static let trickyDigest = "17c45babca4a3edd4d1ee4a79731a6b1cfe9d9953adbe0e6371535e1f9afc73e"

    @Test func trickyDigestOfTheWholeDocumentWriter() {
        #expect(Hex.encode(SHA256.hash(DatasetWriter.bytes(Self.tricky()))) == Self.trickyDigest)
    }
}
