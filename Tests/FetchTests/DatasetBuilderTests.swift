import Foundation
import Shared
import Testing

@testable import prty_fetch

struct DatasetBuilderTests {
    static func build(
        _ text: String, _ options: DatasetBuilder.Options = .init(),
        format: DatasetBuilder.Format = .auto
    ) throws -> Dataset {
        try DatasetBuilder(options: options).build(Array(text.utf8), format: format, cid: "bafkqaaa")
    }

    static func failure(_ text: String, _ options: DatasetBuilder.Options = .init()) -> String {
        do {
            _ = try build(text, options)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func headerStringLabelsAndSource() throws {
        let dataset = try Self.build("a,b,kind\n1,2,dog\n3,4,cat\n5,6.5,dog\n")
        #expect(dataset.featureNames == ["a", "b"])
        #expect(dataset.features == [1, 2, 3, 4, 5, 6.5])
        #expect(dataset.width == 2)
        #expect(dataset.labelNames == ["cat", "dog"])
        #expect(dataset.labels == [1, 0, 1])
        #expect(dataset.task == .classification)
        #expect(dataset.classes == [0, 1])
        #expect(dataset.source == ["cid": "bafkqaaa", "format": "csv"])
    }

    @Test func labelNamesInCodePointOrder() throws {
        // "Z" (U+005A) < "a" (U+0061) < "é" (U+00E9) < "ｚ" (U+FF5A), whatever the locale would say.
        let dataset = try Self.build("x,y\n1,a\n2,é\n3,Z\n4,ｚ\n")
        #expect(dataset.labelNames == ["Z", "a", "é", "ｚ"])
        #expect(dataset.labels == [1, 2, 0, 3])
    }

    @Test func headerDetection() throws {
        #expect(try Self.build("1,2,0\n3,4,1\n").featureNames == nil)
        #expect(try Self.build("1,2,0\n3,4,1\n").count == 2)
        // Only feature cells decide: a text label in the first row does not make it a header.
        #expect(try Self.build("1,2,yes\n3,4,no\n").count == 2)
        #expect(try Self.build("x,2,0\n3,4,1\n").featureNames == ["x", "2"])
        var forced = DatasetBuilder.Options()
        forced.header = true
        #expect(try Self.build("1,2,0\n3,4,1\n", forced).featureNames == ["1", "2"])
        forced.header = false
        #expect(Self.failure("x,y,label\n1,2,0\n", forced).contains("line 1, column 1: 'x' is not a number"))
    }

    @Test func labelColumnByNameAndIndex() throws {
        var options = DatasetBuilder.Options()
        options.labelColumn = .name("kind")
        let named = try Self.build("kind,a,b\n0,1,2\n1,3,4\n", options)
        #expect(named.featureNames == ["a", "b"])
        #expect(named.labels == [0, 1])
        #expect(named.features == [1, 2, 3, 4])
        options.labelColumn = .index(0)
        #expect(try Self.build("0,1,2\n1,3,4\n", options).features == [1, 2, 3, 4])
        options.labelColumn = .index(-2)
        #expect(try Self.build("1,0,2\n3,1,4\n", options).labels == [0, 1])
        options.labelColumn = .index(5)
        #expect(Self.failure("1,2\n", options).contains("outside the CSV's 2 columns"))
        options.labelColumn = .name("nope")
        #expect(Self.failure("a,b\n1,2\n", options).contains("--label-column nope is not a column"))
    }

    @Test func taskInference() throws {
        let integers = try Self.build("1,0\n2,2\n3,1\n4,2\n")
        #expect(integers.task == .classification)
        #expect(integers.classes == [0, 1, 2])
        #expect(try Self.build("1,0.5\n2,2\n").task == .regression)
        var regression = DatasetBuilder.Options()
        regression.regression = true
        let forced = try Self.build("1,0\n2,2\n", regression)
        #expect(forced.task == .regression)
        #expect(forced.classes.isEmpty)
        #expect(Self.failure("1,a\n2,b\n", regression).contains("cannot be a regression target"))
    }

    @Test func rfc4180QuotingCRLFAndTrimming() throws {
        let text =
            "\u{FEFF}\"name, with comma\",\" b \",label\r\n \"1\" , 2 ,\"say \"\"hi\"\"\"\r\n\r\n3,4,\"two\nlines\"\r\n"
        let dataset = try Self.build(text)
        #expect(dataset.featureNames == ["name, with comma", " b "])
        #expect(dataset.features == [1, 2, 3, 4])
        #expect(dataset.labelNames == ["say \"hi\"", "two\nlines"])
        #expect(Self.failure("a,b\n\"1,2\n").contains("line 2: a quoted field is not closed"))
        #expect(Self.failure("a,b\n\"1\"x,2\n").contains("line 2: a quoted field"))
    }

    @Test func widthAndValueErrorsNameLineAndColumn() {
        #expect(Self.failure("a,b,c\n1,2,0\n1,2\n") == "line 3 has 2 cells; every row needs 3, as the first row has")
        #expect(Self.failure("a,b,c\n1,2,0\n\n1,x,1\n").hasPrefix("line 4, column 2 ('b'): 'x' is not a number"))
        #expect(Self.failure("a,b,c\n1,inf,0\n") == "line 2, column 2 ('b'): 'inf' is not a finite number")
        #expect(Self.failure("a,b,c\n1,,0\n").hasPrefix("line 2, column 2 ('b') is missing"))
        #expect(Self.failure("a,b,c\n1,2,\n").hasPrefix("line 2: the label (column 3 ('c')) is empty"))
        #expect(Self.failure("").contains("the CSV is empty"))
        #expect(Self.failure("a,b\n").contains("no rows"))
        #expect(Self.failure("a\n1\n").contains("at least one feature column"))
    }

    @Test func missingValues() throws {
        let text = "a,b,y\n1,NA,0\n3,4,1\n,6,1\n7,8,\n"
        var options = DatasetBuilder.Options()
        options.missing = .drop
        let dropped = try Self.build(text, options)
        #expect(dropped.features == [3, 4])
        #expect(dropped.labels == [1])
        options.missing = .mean
        #expect(Self.failure(text, options).contains("a label cannot be imputed"))
        let mean = try Self.build("a,b,y\n1,NA,0\n3,4,1\n,6,1\n", options)
        #expect(mean.features == [1, 5, 3, 4, 2, 6])
        #expect(Self.failure("a,b,y\n1,?,0\n3,,1\n", options).contains("column 2 ('b') has no values at all"))
        options.missing = .drop
        #expect(Self.failure("a,b,y\n1,?,0\n", options).contains("no rows are left"))
    }

    /// A file big enough to be split across cores gives exactly what one core gives, errors included.
    @Test func parallelEqualsSequential() throws {
        var random = SeededRandom(seed: 9)
        var text = "f0,f1,f2,label\n"
        for _ in 0..<60_000 {
            let row = (0..<3).map { _ in String(random.nextGaussian()) } + [["a", "b", "c"][random.nextInt(below: 3)]]
            text += row.joined(separator: ",") + "\n"
        }
        #expect(text.utf8.count > 1 << 20)
        let parallel = try Self.build(text)
        let quoted = try Self.build(text + "\"1\",2,3,a\n")  // a quote anywhere: one sequential pass
        #expect(parallel.count == 60_000)
        #expect(Array(quoted.features.prefix(parallel.features.count)) == parallel.features)
        #expect(Array(quoted.labels.prefix(parallel.count)) == parallel.labels)
        let broken = text + "1,2,oops,a\n" + String(repeating: "1,2,3,a\n", count: 10)
        #expect(Self.failure(broken).hasPrefix("line 60002, column 3 ('f2'): 'oops' is not a number"))
    }

    @Test func jsonForms() throws {
        let plain = try Self.build(#"{"features": [[1, 2], [3, 4.5]], "labels": ["b", "a"]}"#)
        #expect(plain.features == [1, 2, 3, 4.5])
        #expect(plain.labelNames == ["a", "b"])
        #expect(plain.labels == [1, 0])
        #expect(plain.source == ["cid": "bafkqaaa", "format": "json"])
        let rows = try Self.build("[[1, 2, 0], [3, 4, 1]]")
        #expect(rows.features == [1, 2, 3, 4])
        #expect(rows.labels == [0, 1])
        let document = try Self.build(#"{"format": "prty.dataset/1", "features": [[1]], "labels": [2.5]}"#)
        #expect(document.task == .regression)
        #expect(Self.failure(#"{"features": [[1, 2], [3]], "labels": [0, 1]}"#).contains("row 1 has 1 values"))
        #expect(Self.failure(#"{"features": [[1, "x"]], "labels": [0]}"#).contains("not a finite number"))
        #expect(Self.failure("[1, 2").contains("the JSON is not valid"))
        #expect(Self.failure(#"{"rows": []}"#).contains("unknown key 'rows'"))
        var options = DatasetBuilder.Options()
        options.missing = .mean
        #expect(try Self.build("[[1, null, 0], [3, 4, 1]]", options).features == [1, 4, 3, 4])
        // A plain object is read by DatasetReader, as every tool reads it: a null cell is refused whatever --missing.
        #expect(Self.failure(#"{"features": [[1, null]], "labels": [0]}"#).contains("row 0, column 1 is not a finite"))
        #expect(Self.failure(#"{"features": [[1, null], [3, 4]], "labels": [0, 1]}"#, options).contains("not a finite"))
    }

    /// One reader: what prty-fetch makes of a plain object is what prty-partition and prty-train read from it.
    @Test(arguments: [
        #"{"features": [[1, 2], [3, 4.5]], "labels": ["b", "a"]}"#,
        #"{"features": [[1, 2], [3, 4.5], [5, 6]], "labels": [2, 0, 2], "feature_names": ["x", "y"]}"#,
        #"{"features": [[0.5], [1e3]], "labels": [0.25, 7]}"#,
        #"{"features": [[1], [2]], "labels": ["x", 3]}"#,
    ])
    func plainObjectMatchesDatasetReader(text: String) throws {
        var built = try Self.build(text)
        built.source = nil
        #expect(built == (try DatasetReader.read(Array(text.utf8))))
    }

    @Test func formatDetection() {
        for (text, format) in [
            ("{}", DatasetBuilder.Format.json), ("  \n[1]", .json), ("a,b", .csv), ("", .csv),
            ("\u{FEFF}{", .json),
        ] {
            #expect(Array(text.utf8).withUnsafeBytes { DatasetBuilder.detect($0) } == format, "\(text)")
        }
    }
}
