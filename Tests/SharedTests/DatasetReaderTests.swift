import Testing
@testable import Shared

/// The streaming Dataset reader: every field, the plain seed format, and every refusal with its message.
struct DatasetReaderTests {
    func read(_ text: String, regression: Bool = false) throws -> Dataset {
        try DatasetReader.read(Array(text.utf8), regression: regression)
    }

    func message(_ text: String, regression: Bool = false) -> String? {
        do {
            _ = try read(text, regression: regression)
            return nil
        } catch {
            return (error as? DataError)?.message ?? "\(error)"
        }
    }

    @Test func readsAFullDocument() throws {
        let dataset = try read("""
            {"classes":[0,1,2],"feature_names":["a","b"],"features":[[1.5,-2],[0,3e2],[1e-7,4]],
             "format":"prty.dataset/1","label_names":["x","y","z"],"labels":[2,0,1],
             "partition":{"part_index":0,"strategy":"random"},"source":{"cid":"Qm","format":"csv"},
             "task":"classification"}
            """)
        #expect(dataset.features == [1.5, -2, 0, 300, 1e-7, 4])
        #expect(dataset.width == 2)
        #expect(dataset.count == 3)
        #expect(dataset.labels == [2, 0, 1])
        #expect(dataset.task == .classification)
        #expect(dataset.classes == [0, 1, 2])
        #expect(dataset.labelNames == ["x", "y", "z"])
        #expect(dataset.featureNames == ["a", "b"])
        #expect(dataset.source == ["cid": "Qm", "format": "csv"])
        #expect(dataset.partition?["strategy"] == "random")
    }

    @Test func whitespaceAnywhereReadsTheSame() throws {
        let compact = try read(#"{"features":[[1,2],[3,4]],"labels":[0,1]}"#)
        let spaced = try read(" {\r\n\t\"features\" : [ [ 1 , 2 ] ,\n [3,\t4 ] ] ,\n \"labels\" : [ 0 , 1 ] } \n")
        #expect(compact == spaced)
    }

    @Test func plainDatasetInfersClassification() throws {
        let dataset = try read(#"{"features": [[1, 2], [3, 4], [5, 6]], "labels": [2, 0, 2]}"#)
        #expect(dataset.task == .classification)
        #expect(dataset.classes == [0, 2])
        #expect(dataset.width == 2)
    }

    @Test func plainDatasetWithFractionalLabelsIsRegression() throws {
        let dataset = try read(#"{"features": [[1], [2]], "labels": [0.5, 1]}"#)
        #expect(dataset.task == .regression)
        #expect(dataset.classes.isEmpty)
        let asked = try read(#"{"features": [[1], [2]], "labels": [0, 1]}"#, regression: true)
        #expect(asked.task == .regression)
        #expect(asked.classes.isEmpty)
    }

    /// One rule for every tool: a dataset has rows and features (an empty part prty-partition wrote can still be
    /// inspected with `allowEmpty`).
    @Test func emptyDatasetsAndZeroFeatureRowsAreRefused() throws {
        #expect(message(#"{"features": [], "labels": []}"#) == "the dataset has no rows; it needs at least one")
        #expect(
            message(#"{"features": [[], []], "labels": [0, 1]}"#)
                == "the dataset's rows have no features; it needs at least one feature column besides the label")
        let empty = try DatasetReader.read(Array(#"{"features": [], "labels": []}"#.utf8), allowEmpty: true)
        #expect(empty.count == 0 && empty.width == 0 && empty.features.isEmpty)
        let named = try DatasetReader.read(
            Array(#"{"features": [], "labels": [], "feature_names": ["a", "b"]}"#.utf8), allowEmpty: true)
        #expect(named.width == 2)
    }

    /// A plain dataset's string labels are mapped as prty-fetch maps them: code-point order, kept as label_names.
    @Test func stringLabelsOfAPlainDatasetBecomeClasses() throws {
        let dataset = try read(#"{"features": [[1], [2], [3]], "labels": ["b", "a", "B"]}"#)
        #expect(dataset.labels == [2, 1, 0])
        #expect(dataset.labelNames == ["B", "a", "b"])
        #expect(dataset.task == .classification && dataset.classes == [0, 1, 2])
        let mixed = try read(#"{"features": [[1], [2]], "labels": ["x", 7]}"#)
        #expect(mixed.labelNames == ["7", "x"] && mixed.labels == [1, 0])
        #expect(message(#"{"features": [[1], [2]], "labels": ["x", null]}"#) == "label 1 is null, not a string or a number")
        #expect(message(#"{"features": [[1]], "labels": ["x"]}"#, regression: true) == "string labels cannot be a regression target")
        #expect(message(#"{"format": "prty.dataset/1", "features": [[1]], "labels": ["x"]}"#)?.hasPrefix("the labels of a prty.dataset/1 document must be numbers") == true)
    }

    @Test func matchesTheGeneralParserOnRandomDocuments() throws {
        var random = SeededRandom(seed: 3)
        for _ in 0..<50 {
            let rows = random.nextInt(below: 20) + 1, width = random.nextInt(below: 6) + 1
            let features = (0..<rows * width).map { _ in Double(bitPattern: random.next() >> 2) }
                .map { $0.isFinite ? $0 : 1 }
            let labels = (0..<rows).map { _ in Double(random.nextInt(below: 3)) }
            let document: JSON = [
                "features": .array((0..<rows).map { .doubles(Array(features[$0 * width..<($0 + 1) * width])) }),
                "labels": .doubles(labels),
            ]
            let dataset = try DatasetReader.read(Array(document.serialized(pretty: random.next() % 2 == 0).utf8))
            #expect(dataset.features.map(\.bitPattern) == features.map(\.bitPattern))
            #expect(dataset.labels == labels)
            #expect(dataset.count == rows)
        }
    }

    @Test(arguments: [
        (#"{"features":[[1,2],[3]],"labels":[0,1]}"#, "features row 1 has 1 values, expected 2"),
        (#"{"features":[[1,2],[3,4],[5,6,7]],"labels":[0,1,0]}"#, "features row 2 has 3 values, expected 2"),
        (#"{"features":[[1,2],[]],"labels":[0,1]}"#, "features row 1 has 0 values, expected 2"),
        (#"{"features":[[1,"2"]],"labels":[0]}"#, "features row 0, column 1 is not a finite number"),
        (#"{"features":[[1],[null]],"labels":[0,1]}"#, "features row 1, column 0 is not a finite number"),
        (#"{"features":[[1],[[2]]],"labels":[0,1]}"#, "features row 1, column 0 is not a finite number"),
        (#"{"features":[1,2],"labels":[0,1]}"#, "features row 0 is not an array"),
        (#"{"features":[[1],{"a":1}],"labels":[0,1]}"#, "features row 1 is not an array"),
        (#"{"features":{"a":1},"labels":[0]}"#, "dataset has no features array"),
        (#"{"labels":[0]}"#, "dataset has no features array"),
        (#"{"features":[[1]]}"#, "dataset has no labels array"),
        (#"{"features":[[1]],"labels":"0"}"#, "dataset has no labels array"),
        (#"{"features":[[1],[2]],"labels":[0]}"#, "dataset has 2 feature rows but 1 labels"),
        (#"{"format":"prty.dataset/1","features":[[1]],"labels":["cat"]}"#,
         "the labels of a prty.dataset/1 document must be numbers (string labels are stored as 0..K-1 with "
            + "label_names); drop \"format\" to have them mapped as in a plain dataset"),
        (#"{"features":[[1],[2]],"labels":[0,true]}"#, "label 1 is a boolean, not a string or a number"),
        (#"{"features":[[1],[2]],"labels":[0,2],"classes":[0,1]}"#, "label 2 of row 1 is not among classes"),
        (#"{"features":[[1]],"labels":[0],"classes":[0,1,2],"label_names":["a","b"]}"#,
         "label_names has 2 names for 3 classes"),
        (#"{"features":[[1]],"labels":[0],"label_names":"a"}"#, "label_names must be an array of strings"),
        (#"{"features":[[1,2]],"labels":[0],"feature_names":["a"]}"#, "feature_names has 1 names for 2 features"),
        (#"{"features":[[1]],"labels":[0],"feature_names":[1]}"#, "feature_names must be an array of strings"),
        (#"{"features":[[1]],"labels":[0],"classes":[1,0]}"#, "classes must be sorted and distinct"),
        (#"{"features":[[1]],"labels":[0],"classes":[0,0]}"#, "classes must be sorted and distinct"),
        (#"{"features":[[1]],"labels":[0],"classes":["a"]}"#, "classes must be numbers"),
        (#"{"features":[[1]],"labels":[0],"classes":0}"#, "classes must be an array"),
        (#"{"features":[[1]],"labels":[0],"task":"clustering"}"#,
         #"task must be "classification" or "regression", got "clustering""#),
        (#"{"features":[[1]],"labels":[0],"format":"prty.dataset/2"}"#,
         #"unsupported dataset format "prty.dataset/2"; expected "prty.dataset/1""#),
        (#"{"features":[[1]],"labels":[0],"format":1}"#, #"unsupported dataset format 1; expected "prty.dataset/1""#),
        (#"{"features":[[1]],"labels":[0],"weights":[1]}"#,
         "unknown key 'weights' in the dataset; known keys: format, features, labels, task, classes, label_names, "
            + "feature_names, source, partition"),
        ("[[1,2]]", "a dataset must be a JSON object, got an array"),
        ("42", "a dataset must be a JSON object, got a number"),
    ])
    func refusesBadDatasets(text: String, expected: String) throws {
        let said = try #require(message(text))
        #expect(said == expected)
    }

    @Test(arguments: [
        (#"{"features":[[1,1e999]],"labels":[0]}"#, "line 1, column 17: number 1e999 is out of range"),
        (#"{"features":[[1]],"labels":[-1e400]}"#, "line 1, column 29: number -1e400 is out of range"),
        (#"{"features":[[1,NaN]],"labels":[0]}"#, "line 1, column 17: unexpected character 'N', expected a value"),
        (#"{"features":[[1,Infinity]],"labels":[0]}"#, "line 1, column 17: unexpected character 'I'"),
        (#"{"features":[[1,01]],"labels":[0]}"#, "line 1, column 18: leading zeros are not allowed in numbers"),
        (#"{"features":[[1,2.]],"labels":[0]}"#, "line 1, column 19: expected a digit after '.'"),
        (#"{"features":[[1,-]],"labels":[0]}"#, "line 1, column 18: expected a digit"),
        (#"{"features":[[1 2]],"labels":[0]}"#, "line 1, column 17: expected ',' or ']' in an array"),
        (#"{"features":[[1],,[2]],"labels":[0]}"#, "line 1, column 18: unexpected character ','"),
        (#"{"features":[[1]] "labels":[0]}"#, "line 1, column 19: expected ',' or '}' in an object"),
        (#"{"features":[[1]],"labels":[0],}"#, "line 1, column 32: expected a string key"),
        (#"{"features":[[1]],"labels":[0 1]}"#, "line 1, column 31: expected ',' or ']' in an array"),
        (#"{"features":[[1]],"labels":[0],"labels":[0]}"#, "line 1, column 41: duplicate key \"labels\""),
        (#"{"features":[[1]],"labels":[0]} x"#, "line 1, column 33: unexpected text after the JSON value"),
        (#"{"features":[[1,2"#, "line 1, column 18: expected ',' or ']' in an array"),
        (#"{"features":[[1]],"labels":[0"#, "line 1, column 30: expected ',' or ']' in an array"),
        (#"{"features" [[1]]}"#, "line 1, column 13: expected ':' after the key \"features\""),
        ("{\"features\": [[1, 2],\n  [3, x]],\n \"labels\": [0, 1]}", "line 2, column 7: unexpected character 'x'"),
        ("", "line 1, column 1: unexpected end of input, expected a value"),
        ("{", "line 1, column 2: expected a string key"),
    ])
    func malformedJSONNamesLineAndColumn(text: String, expected: String) throws {
        let said = try #require(message(text))
        #expect(said.hasPrefix("malformed JSON at "), "\(said)")
        #expect(said.contains(expected), "\(said)")
    }

    @Test func numbersReadExactly() throws {
        let dataset = try read("""
            {"features":[[0.1,-0.0,5e-324,1.7976931348623157e308,2.2250738585072011e-308,9007199254740993,
            123456789012345678901234567890,0.30000000000000004]],"labels":[0]}
            """)
        let expected: [Double] = [0.1, -0.0, .leastNonzeroMagnitude, 1.7976931348623157e308,
                                  Double("2.2250738585072011e-308")!, 9_007_199_254_740_992, 1.2345678901234568e29,
                                  0.30000000000000004]
        #expect(dataset.features.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
