import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// `paperflow package --check`: each planted defect is found, at its line and column, and
/// nothing else is; the `data:` and `label:` blocks are validated where they are written.
@Suite("package --check: the data editors' checklist", .serialized)
struct PackageCheckTests {
    /// A workflow with nothing to find.
    static let clean = """
        workflow: w
        params: {seed: 7}
        stages:
          raw:
            uses: io.csv@2
            with: {path: data/x.csv}
            data: {citation: "A (2020). X.", licence: CC-BY-4.0, access: public}
          t:
            uses: tables.crosstab@1
            inputs: {table: raw.table}
            with: {rows: g, cells: [n()]}
            label: Table 1

        """

    static let dataLine = #"    data: {citation: "A (2020). X.", licence: CC-BY-4.0, access: public}"#

    /// A planted defect: the clean workflow with `line` replaced (or stages appended), and the
    /// one finding it must give.
    struct Defect: CustomTestStringConvertible, Sendable {
        var name: String
        var replace: (String, String)?
        var append: String = ""
        var hugeData = false
        var finding: String
        var testDescription: String { name }
    }

    static let defects: [Defect] = [
        Defect(name: "no data statement", replace: (dataLine, ""),
               finding: "Workflows/w.yaml:4:3: error: stage 'raw' brings data into the workflow but has no data statement"),
        Defect(name: "no citation", replace: (dataLine, "    data: {licence: CC-BY-4.0, access: public}"),
               finding: "Workflows/w.yaml:7:11: error: no citation for the data of stage 'raw'"),
        Defect(name: "no licence", replace: (dataLine, #"    data: {citation: "A", access: public}"#),
               finding: "Workflows/w.yaml:7:11: error: no licence for the data of stage 'raw'"),
        Defect(name: "no access statement", replace: (dataLine, #"    data: {citation: "A", licence: CC-BY-4.0}"#),
               finding: "Workflows/w.yaml:7:11: error: no access statement for the data of stage 'raw'"),
        Defect(name: "restricted data without how to obtain them", replace: (dataLine, #"    data: {citation: "A", access: restricted}"#),
               finding: "Workflows/w.yaml:7:11: error: the data of stage 'raw' are restricted but the block does not say how to obtain them"),
        Defect(name: "stand-in without the real data's citation",
               replace: (dataLine, "    data: {title: stand-in, replaces: {access: confidential, obtain: ask}}"),
               finding: "Workflows/w.yaml:7:39: error: no citation for the real data that stage 'raw' stands in for"),
        Defect(name: "unlabelled table", replace: ("    label: Table 1", ""),
               finding: "Workflows/w.yaml:8:3: error: table stage 't' has no label: the package's list of tables cannot map it"),
        Defect(name: "unlabelled figure", append: """
                  fig:
                    uses: figures.bars@1
                    inputs: {table: raw.table}
                    with: {x: g, y: v}
                """,
               finding: "Workflows/w.yaml:13:3: error: figure stage 'fig' has no label: the package's list of tables cannot map it"),
        Defect(name: "seed left to the default", append: """
                  clusters:
                    uses: models.gaussian-mixture@1
                    inputs: {table: raw.table}
                    with: {columns: [v]}
                """,
               finding: "Workflows/w.yaml:13:3: error: stage 'clusters' draws random numbers with its default 'seed', which the workflow does not state"),
        Defect(name: "absolute path in a shell command", append: """
                  sh:
                    uses: shell@1
                    with: {cmd: "cat /etc/hostname > {outs.out}", outs: {out: o.txt}}
                """,
               finding: "Workflows/w.yaml:15:17: error: stage 'sh' runs a command with the absolute path /etc/hostname, which a replicator's machine will not have"),
        Defect(name: "undeclared file in a shell command", append: """
                  sh:
                    uses: shell@1
                    with: {cmd: "sort data/x.csv > {outs.out}", outs: {out: o.txt}}
                """,
               finding: "Workflows/w.yaml:15:17: error: stage 'sh' reads data/x.csv but does not declare it"),
        Defect(name: "data file over GitHub's size limit", hugeData: true,
               finding: "Workflows/w.yaml:6:18: error: data/x.csv is 101.00 MB, over GitHub's 100 MB per file"),
    ]

    static func project(_ workflow: String, hugeData: Bool = false) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("Workflows/w.yaml", workflow)
        let data = try project.write("data/x.csv", "g,v\na,1\nb,2\na,3\n")
        if hugeData {
            // Sparse: 101 MB on paper, a few bytes on disk.
            let handle = try FileHandle(forWritingTo: data)
            try handle.truncate(atOffset: 101_000_000)
            try handle.close()
        }
        return project
    }

    @Test("the clean workflow has no findings and exits 0")
    func clean() throws {
        let project = try Self.project(Self.clean)
        defer { project.cleanUp() }
        let result = try PaperflowProcess.run(["package", "--check", "Workflows/w.yaml"], in: project.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "no findings\n")
    }

    @Test("each planted defect is the one finding, at its line and column", arguments: defects)
    func defect(_ defect: Defect) throws {
        var text = Self.clean
        if let (old, new) = defect.replace {
            #expect(text.contains(old))
            text = text.replacingOccurrences(of: old + "\n", with: new.isEmpty ? "" : new + "\n")
        }
        text += defect.append.isEmpty ? "" : defect.append + "\n"
        let project = try Self.project(text, hugeData: defect.hugeData)
        defer { project.cleanUp() }
        let result = try PaperflowProcess.run(["package", "--check", "Workflows/w.yaml"], in: project.root)
        #expect(result.status == 1)
        let findings = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
        #expect(findings == [defect.finding], "\(result.stderr)")
        #expect(result.stderr.hasSuffix("1 finding\n"))
    }

    @Test("a written package: a missing README section, a changed file and a file the manifest does not list are each found")
    func packageFindings() throws {
        let project = try Self.project(Self.clean)
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let written = try PaperflowProcess.run(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        try #require(written.status == 0, "\(written.stderr)")
        let out = project.root.appendingPathComponent("deposit")
        let fresh = try PaperflowProcess.run(["package", "--check", "deposit"], in: project.root)
        #expect(fresh.status == 0, "\(fresh.stderr)")

        let readme = out.appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let cut = try #require(text.range(of: "## References"))
        try Data(text[..<cut.lowerBound].utf8).write(to: readme)
        let data = out.appendingPathComponent("data/x.csv")
        try Data("g,v\na,9\n".utf8).write(to: data)
        try Data("notes".utf8).write(to: out.appendingPathComponent("notes.txt"))
        let result = try PaperflowProcess.run(["package", "--check", "deposit"], in: project.root)
        #expect(result.status == 1)
        let findings = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
        #expect(findings == [
            "README.md:1:1: error: README.md has no section 'References'",
            "README.md:1:1: error: README.md does not match its SHA-256 in MANIFEST.sha256 (changed or missing)",
            "data/x.csv:1:1: error: data/x.csv does not match its SHA-256 in MANIFEST.sha256 (changed or missing)",
            "notes.txt:1:1: error: notes.txt is not in MANIFEST.sha256",
        ], "\(result.stderr)")
    }

    @Test("bad data and label blocks are refused where they are written", arguments: [
        (#"    data: {citation: "A", licence: CC-BY-4.0, acess: public}"#,
         "Workflows/w.yaml:7:47: error: unknown key 'acess' in the data block of stage 'raw'; did you mean 'access'?"),
        (#"    data: {citation: "A", access: secret}"#,
         "Workflows/w.yaml:7:35: error: 'access' must be one of public, registration, restricted, confidential, found 'secret'"),
        (#"    data: {citation: "A", access: public, provided: maybe}"#,
         "Workflows/w.yaml:7:53: error: 'provided' must be true or false, found 'maybe'"),
        (#"    data: [A]"#,
         "Workflows/w.yaml:7:11: error: 'data' of stage 'raw' must be a map, found a list"),
    ])
    func badDataBlock(_ line: String, _ diagnostic: String) throws {
        let project = try Self.project(Self.clean.replacingOccurrences(of: Self.dataLine, with: line))
        defer { project.cleanUp() }
        let result = try PaperflowProcess.run(["package", "--check", "Workflows/w.yaml"], in: project.root)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").first.map(String.init) == diagnostic, "\(result.stderr)")
    }

    @Test("a label naming an output the stage does not have is refused, with the outputs it has")
    func badLabel() throws {
        let project = try Self.project(Self.clean.replacingOccurrences(of: "    label: Table 1", with: "    label: {svg: Figure 1}"))
        defer { project.cleanUp() }
        let result = try PaperflowProcess.run(["package", "--check", "Workflows/w.yaml"], in: project.root)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Workflows/w.yaml:12:12: error: 'label' of stage 't' names output 'svg', which tables.crosstab does not have"))
        #expect(result.stderr.contains("hint: tables.crosstab writes: markdown, latex, html, csv, values"))
    }
}
