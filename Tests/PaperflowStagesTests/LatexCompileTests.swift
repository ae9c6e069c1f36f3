import Foundation
import PaperflowTestSupport
import Testing

/// The committed LaTeX goldens (which the table tests hold the stages to byte for byte) compile
/// with Debian's pdflatex and booktabs, with no error in the log.
@Suite("LaTeX tables compile")
struct LatexCompileTests {
    @Test("pdflatex compiles each table golden with zero errors", arguments: ["regression.tex", "crosstab.tex", "descriptive.tex"])
    func compiles(golden: String) throws {
        let pdflatex = try ExternalTool.require("pdflatex")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-latex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = """
            \\documentclass{article}
            \\usepackage[T1]{fontenc}
            \\usepackage{booktabs}
            \\begin{document}
            \(try Fixtures.text("tables/\(golden)"))
            \\end{document}

            """
        try Data(document.utf8).write(to: directory.appendingPathComponent("table.tex"))
        let result = try ExternalTool.run(pdflatex, ["-interaction=nonstopmode", "-halt-on-error", "table.tex"], in: directory, timeout: 120)
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        let log = try String(contentsOf: directory.appendingPathComponent("table.log"), encoding: .utf8)
        let errors = log.split(separator: "\n").filter { $0.hasPrefix("!") || $0.contains("LaTeX Error") }
        #expect(errors.isEmpty, "\(errors)")
        let pdf = try Data(contentsOf: directory.appendingPathComponent("table.pdf"))
        #expect(pdf.starts(with: Data("%PDF".utf8)))
        #expect(log.contains("Output written on table.pdf (1 page"))
    }
}
