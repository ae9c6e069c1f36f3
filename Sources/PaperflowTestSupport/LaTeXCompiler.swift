import Foundation

/// Compiles a table as a reader would: in a booktabs article, with Debian's pdflatex (or
/// xelatex with xeCJK for a table with Chinese text).
public enum LaTeXCompiler {
    /// What a compilation left: pdflatex's exit status and output, the log's error lines, and
    /// whether it wrote a one-page PDF.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: [String]
        public var onePagePDF: Bool
    }

    /// The preamble a table with CJK text asks for (its first lines say so): xelatex, xeCJK and
    /// a CJK font.
    public static let cjkPreamble = "\\usepackage{xeCJK}\n\\setCJKmainfont{Noto Serif CJK SC}\n"

    /// Compiles `table` (a `table` environment) in a temporary folder, removed afterwards: with
    /// pdflatex, or with `xelatex` and the CJK preamble.
    /// - Parameter packages: more packages to load (`siunitx` for S columns).
    public static func compile(table: String, xelatex: Bool = false, packages: [String] = []) throws -> Result {
        let engine = try ExternalTool.require(xelatex ? "xelatex" : "pdflatex")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-latex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = """
            \\documentclass{article}
            \(xelatex ? cjkPreamble : "\\usepackage[T1]{fontenc}\n")\\usepackage{booktabs}\(packages.map { "\n\\usepackage{\($0)}" }.joined())
            \\begin{document}
            \(table)
            \\end{document}

            """
        try Data(document.utf8).write(to: directory.appendingPathComponent("table.tex"))
        let result = try ExternalTool.run(engine, ["-interaction=nonstopmode", "-halt-on-error", "table.tex"], in: directory, timeout: 120)
        let log = (try? String(contentsOf: directory.appendingPathComponent("table.log"), encoding: .utf8)) ?? ""
        let errors = log.split(separator: "\n").filter { $0.hasPrefix("!") || $0.contains("LaTeX Error") }.map(String.init)
        let pdf = (try? Data(contentsOf: directory.appendingPathComponent("table.pdf"))) ?? Data()
        return Result(status: result.status, output: result.output, errors: errors,
                      onePagePDF: pdf.starts(with: Data("%PDF".utf8)) && log.contains("Output written on table.pdf (1 page"))
    }
}
