import Foundation
import PaperflowTestSupport
import Testing

/// Every LaTeX table the five paper workflows write compiles with pdflatex and booktabs, as the
/// README tells readers to compile them — not only the ASCII fixtures (issue 24, point 1: three
/// shipped tables stopped pdflatex at `−`, `≥` and `×`).
@Suite("The papers' LaTeX tables compile", .serialized)
struct PaperLatexTests {
    static var repository: URL { Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent() }

    @Test("each paper's LaTeX tables, at the small scale, compile under pdflatex with no error",
          arguments: ["zhou-2010", "liu-zhu-2021", "li-he-li-2018", "shen-2025", "an-fu-2026"])
    func compiles(workflow: String) throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Workflows/data"),
                                         to: project.root.appendingPathComponent("Workflows/data"))
        let text = try String(contentsOf: Self.repository.appendingPathComponent("Workflows/\(workflow).yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\n  scale: default\n", with: "\n  scale: small\n")
        try project.write("Workflows/\(workflow).yaml", text)
        let run = try PaperflowProcess.run(["run", "Workflows/\(workflow).yaml", "--quiet"], in: project.root, timeout: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let views = project.root.appendingPathComponent("Artifacts/\(workflow)")
        var tables: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: views, includingPropertiesForKeys: nil)!
            where url.pathExtension == "tex" {
            tables.append(String(url.path.dropFirst(views.path.count + 1)))
        }
        #expect(!tables.isEmpty)
        for table in tables.sorted() {
            let latex = try String(contentsOf: views.appendingPathComponent(table), encoding: .utf8)
            let foreign = latex.unicodeScalars.filter { !$0.isASCII }.map(String.init).joined()
            #expect(foreign.isEmpty, "\(table): \(foreign)")
            let result = try LaTeXCompiler.compile(table: latex)
            #expect(result.status == 0 && result.errors.isEmpty && result.onePagePDF, "\(table): \(result.errors) \(result.output.suffix(1500))")
        }
    }
}
