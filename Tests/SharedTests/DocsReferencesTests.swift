import Foundation
import Shared
import TestSupport
import Testing

/// The project's own design pages stay reachable from the code that cites them (docs/README.md): every
/// `docs/<page>.md` a source, test, README or Makefile names exists, every `§N` it cites is a heading of that page,
/// every link between pages resolves, no file cites design notes that do not ship with the project, and
/// docs/configuration.md lists every declared setting key. Reads a few hundred small files: well under a second.
struct DocsReferencesTests {
    /// Where citations are looked for, relative to the package root: folders (recursively) and single files.
    static let scanned = ["Sources", "Tests", "examples", "bench", "docs", "README.md", "Makefile", "Package.swift"]
    /// Text files only; data (fixtures, datasets) is never scanned.
    static let extensions: Set<String> = ["swift", "md", "py", "sh", "txt", "h", "modulemap", "toml", "json"]
    static let skippedFolders = ["Tests/Fixtures", "examples/data", "bench/data"]

    /// Design notes that lived outside the project while it was being written. A clone does not have them, so
    /// nothing may cite them; the names are assembled here so this file does not cite them itself.
    static let foreignNotes: [String] =
        ["DESIGN", "STYLE", "PROTOCOL", "COMPONENTS", "ANCHORS", "ORIGINAL-FL", "ORIGINAL-WALLET"].map { $0 + ".md" }
        + [".." + "/shared", "shared/" + "reference"]

    struct TextFile {
        /// Relative to the package root.
        let path: String
        let lines: [Substring]
    }

    static func textFiles() throws -> [TextFile] {
        let root = Paths.root
        var result: [TextFile] = []
        for entry in scanned {
            let url = root.appendingPathComponent(entry)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            var urls: [URL] = []
            if isDirectory.boolValue {
                let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
                while let file = walker?.nextObject() as? URL { urls.append(file) }
            } else {
                urls = [url]
            }
            for file in urls.sorted(by: { $0.path < $1.path }) {
                let path = String(file.path.dropFirst(root.path.count + 1))
                guard file.lastPathComponent == "Makefile" || extensions.contains(file.pathExtension),
                    !skippedFolders.contains(where: { path.hasPrefix($0 + "/") }),
                    let text = try? String(contentsOf: file, encoding: .utf8)
                else { continue }
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                result.append(TextFile(path: path, lines: lines))
            }
        }
        return result
    }

    /// A page and, if given, the section cited: `docs/formats.md §2.3` → ("formats.md", "2.3").
    struct Citation: Equatable {
        let page: String
        let section: String?
        let at: String
    }

    /// `docs/<page>.md`, optionally followed by ` §N` or ` §N.M`.
    static func citations(in file: TextFile) -> [Citation] {
        var found: [Citation] = []
        for (number, line) in file.lines.enumerated() {
            var rest = line[...]
            while let range = rest.range(of: "docs/") {
                rest = rest[range.upperBound...]
                let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
                guard !name.isEmpty, rest.dropFirst(name.count).hasPrefix(".md") else { continue }
                let after = rest.dropFirst(name.count + 3)
                found.append(
                    Citation(page: name + ".md", section: section(after), at: "\(file.path):\(number + 1)"))
            }
        }
        return found
    }

    /// Links between pages inside docs/: `[text](formats.md)` or `[text](formats.md) §4`, relative to docs/.
    static func links(in file: TextFile) -> [Citation] {
        guard file.path.hasPrefix("docs/") else { return [] }
        var found: [Citation] = []
        for (number, line) in file.lines.enumerated() {
            var rest = line[...]
            while let range = rest.range(of: "](") {
                rest = rest[range.upperBound...]
                let target = rest.prefix { $0 != ")" && $0 != "#" }
                guard target.hasSuffix(".md"), !target.contains("://") else { continue }
                let after = rest.drop { $0 != ")" }.dropFirst()
                found.append(
                    Citation(page: String(target), section: section(after), at: "\(file.path):\(number + 1)"))
            }
        }
        return found
    }

    /// `§2.3` right after a citation (one space between), else nil.
    static func section(_ text: Substring) -> String? {
        guard text.hasPrefix(" §") else { return nil }
        let number = text.dropFirst(2).prefix { $0.isNumber || $0 == "." }
        let trimmed = number.hasSuffix(".") ? number.dropLast() : number
        return trimmed.isEmpty ? nil : String(trimmed)
    }

    /// Whether `page` has a heading for section `section`: `## 2. …` for 2, `### 2.3 …` for 2.3.
    static func hasSection(_ section: String, in page: String) -> Bool {
        page.split(separator: "\n").contains { line in
            guard line.hasPrefix("#") else { return false }
            let title = line.drop { $0 == "#" }.drop { $0 == " " }
            guard title.hasPrefix(section) else { return false }
            let next = title.dropFirst(section.count).first
            return next == "." || next == " "
        }
    }

    @Test func everyCitedPageAndSectionExists() throws {
        let files = try Self.textFiles()
        #expect(files.contains { $0.path == "docs/README.md" }, "docs/README.md, the index, is missing")
        var pages: [String: String] = [:]
        for file in files where file.path.hasPrefix("docs/") {
            pages[String(file.path.dropFirst(5))] = file.lines.joined(separator: "\n")
        }
        var problems: [String] = []
        for file in files {
            for citation in Self.citations(in: file) {
                guard let page = pages[citation.page] else {
                    problems.append("\(citation.at): cites docs/\(citation.page), which does not exist")
                    continue
                }
                if let section = citation.section, !Self.hasSection(section, in: page) {
                    problems.append(
                        "\(citation.at): cites docs/\(citation.page) §\(section), which has no such section")
                }
            }
            for link in Self.links(in: file) {
                let target = Paths.root.appendingPathComponent("docs").appendingPathComponent(link.page).standardized
                guard FileManager.default.fileExists(atPath: target.path) else {
                    problems.append("\(link.at): links to \(link.page), which does not exist")
                    continue
                }
                if let section = link.section, let page = pages[link.page], !Self.hasSection(section, in: page) {
                    problems.append("\(link.at): cites \(link.page) §\(section), which has no such section")
                }
            }
        }
        let report = "\(problems.count) broken references:\n" + problems.joined(separator: "\n")
        #expect(problems.isEmpty, Comment(rawValue: report))
    }

    @Test func nothingCitesNotesOutsideTheProject() throws {
        var problems: [String] = []
        for file in try Self.textFiles() {
            for (number, line) in file.lines.enumerated() {
                for name in Self.foreignNotes where line.contains(name) {
                    problems.append("\(file.path):\(number + 1): cites \(name)")
                }
            }
        }
        let report =
            "cite the project's own docs/<page>.md §N instead (docs/README.md lists the pages):\n"
            + problems.joined(separator: "\n")
        #expect(problems.isEmpty, Comment(rawValue: report))
    }

    @Test func configurationPageListsEveryKey() throws {
        let url = Paths.root.appendingPathComponent("docs/configuration.md")
        let page = try String(contentsOf: url, encoding: .utf8)
        let missing = SettingKey.all.filter { !page.contains("| `\($0.name)` |") }
        // The rows to paste into the table, from the declarations (fill in the "read by" column).
        let rows = missing.map { key in
            let value = key.defaultValue.isEmpty ? "(empty)" : "`\(key.defaultValue)`"
            return "| `\(key.name)` | \(value) | ? | \(key.doc) |"
        }
        let report =
            "docs/configuration.md §4 has no row for " + missing.map(\.name).joined(separator: ", ") + "; add:\n"
            + rows.joined(separator: "\n")
        #expect(missing.isEmpty, Comment(rawValue: report))
    }

    /// The scanner itself: a citation with and without a section, a link, and what is not a citation.
    @Test func scannerFindsCitations() {
        let path = "docs" + "/x.md"  // assembled: the scan of this file must not take it for a citation
        let file = TextFile(
            path: path,
            lines: [
                "/// see docs/formats.md §2.3: and docs/exit-codes.md.", "docs/<page>.md §N",
                "[a](protocol.md) §7, [b](../bench/README.md), [c](https://example.com/a.md)",
            ])
        #expect(
            Self.citations(in: file) == [
                Citation(page: "formats.md", section: "2.3", at: path + ":1"),
                Citation(page: "exit-codes.md", section: nil, at: path + ":1"),
            ])
        #expect(
            Self.links(in: file) == [
                Citation(page: "protocol.md", section: "7", at: path + ":3"),
                Citation(page: "../bench/README.md", section: nil, at: path + ":3"),
            ])
        #expect(Self.hasSection("2.3", in: "# T\n## 2. A\n### 2.3 B\n"))
        #expect(Self.hasSection("2", in: "## 2. A\n"))
        #expect(!Self.hasSection("2.4", in: "## 2. A\n### 2.3 B\n"))
        #expect(!Self.hasSection("1", in: "## 12. A\n"))
    }
}
