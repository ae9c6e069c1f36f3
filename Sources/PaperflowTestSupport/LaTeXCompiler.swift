import Foundation

/// Compiles a table as a reader would: in a booktabs article, with Debian's pdflatex.
public enum LaTeXCompiler {
    /// What a compilation left: pdflatex's exit status and output, the log's error lines, and
    /// whether it wrote a one-page PDF.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: [String]
        public var onePagePDF: Bool
    }

    /// Compiles `table` (a `table` environment) in a temporary folder, removed afterwards.
    public static func compile(table: String) throws -> Result {
        let pdflatex = try ExternalTool.require("pdflatex")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-latex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = """
            \\documentclass{article}
            \\usepackage[T1]{fontenc}
            \\usepackage{booktabs}
            \\begin{document}
            \(table)
            \\end{document}

            """
        try Data(document.utf8).write(to: directory.appendingPathComponent("table.tex"))
        let result = try ExternalTool.run(pdflatex, ["-interaction=nonstopmode", "-halt-on-error", "table.tex"], in: directory, timeout: 120)
        let log = (try? String(contentsOf: directory.appendingPathComponent("table.log"), encoding: .utf8)) ?? ""
        let errors = log.split(separator: "\n").filter { $0.hasPrefix("!") || $0.contains("LaTeX Error") }.map(String.init)
        let pdf = (try? Data(contentsOf: directory.appendingPathComponent("table.pdf"))) ?? Data()
        return Result(status: result.status, output: result.output, errors: errors,
                      onePagePDF: pdf.starts(with: Data("%PDF".utf8)) && log.contains("Output written on table.pdf (1 page"))
    }
}
