import Foundation
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The committed LaTeX goldens (which the table tests hold the stages to byte for byte) compile
/// with Debian's pdflatex and booktabs, with no error in the log.
@Suite("LaTeX tables compile")
struct LatexCompileTests {
    @Test("pdflatex compiles each table golden with zero errors", arguments: ["regression.tex", "crosstab.tex", "descriptive.tex"])
    func compiles(golden: String) throws {
        try Self.compile(try Fixtures.text("tables/\(golden)"))
    }

    /// Every symbol the LaTeX writer maps, in a caption, a label, a title and a note.
    static let symbols = "− ≥ ≤ ≠ ≈ × ÷ ± · ∞ → ← ↔ √ ∑ ∆ ° ¹ ² ³ … – — ‘ ’ “ ” § ¶ £ ‰ \u{00A0} \u{2009} \u{202F} "
        + "αβγδεζηθικλμνξοπρςστυφχψω ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ ϕ"

    @Test("a table whose caption, labels, titles and notes carry every mapped symbol compiles under pdflatex")
    func unicode() throws {
        let workflow = RegressionTableTests.workflow
            .replacingOccurrences(of: "caption: \"Table 2: Export entry & relatedness\"", with: "caption: \"Table 2 (t − 1, ≥ 5%): \(Self.symbols)\"")
            .replacingOccurrences(of: "x1: \"Density (firm)\"", with: "x1: \"ρ(firm) ≤ 1 × \(Self.symbols)\"")
            .replacingOccurrences(of: "titles: [Two-way FE, Province FE, Pooled OLS]", with: "titles: [\"β ≥ 0\", \"Σ\", \"\(Self.symbols)\"]")
            .replacingOccurrences(of: "notes: \"M2 panel, 30 provinces × 14 years.\"", with: "notes: \"\(Self.symbols)\"")
        let project = try RegressionTableTests.project(workflow)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        let latex = try project.read("Artifacts/m/table/table.tex")
        // Nothing outside ASCII is left for pdflatex to guess at.
        let foreign = latex.unicodeScalars.filter { !$0.isASCII }.map(String.init).joined()
        #expect(foreign.isEmpty, "\(foreign)")
        #expect(latex.contains("(t $-$ 1, $\\geq$ 5\\%)"))
        #expect(!latex.contains("xeCJK"))
        try Self.compile(latex)
    }

    @Test("CJK text is left for xelatex with xeCJK, the table says so in its first lines, and xelatex with that preamble compiles it")
    func cjk() throws {
        let workflow = RegressionTableTests.workflow
            .replacingOccurrences(of: "caption: \"Table 2: Export entry & relatedness\"", with: "caption: \"表 2：出口与关联度\"")
        let project = try RegressionTableTests.project(workflow)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let latex = try project.read("Artifacts/m/table/table.tex")
        #expect(latex.hasPrefix("% This table contains CJK text: compile with xelatex and \\usepackage{xeCJK}\n"))
        #expect(latex.contains("\\caption{表 2：出口与关联度}"))
        // The preamble its first lines name sets it: xelatex, one page, no error.
        #expect(latex.contains(LaTeXCompiler.cjkPreamble.split(separator: "\n")[1]))
        let result = try LaTeXCompiler.compile(table: latex, xelatex: true)
        #expect(result.status == 0 && result.errors.isEmpty && result.onePagePDF, "\(result.errors) \(result.output.suffix(2000))")
    }

    @Test("latex_columns: siunitx writes S columns sized from each column's numbers, braces the text cells, and compiles with siunitx")
    func siunitx() throws {
        let workflow = RegressionTableTests.workflow.replacingOccurrences(of: "      caption: \"Table 2: Export entry & relatedness\"\n",
                                                                          with: "      caption: \"Table 2: Export entry & relatedness\"\n      latex_columns: siunitx\n")
        #expect(workflow.contains("latex_columns: siunitx"))
        let project = try RegressionTableTests.project(workflow)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let latex = try project.read("Artifacts/m/table/table.tex")
        try Goldens.check(latex, "regression-siunitx.tex")
        #expect(latex.hasPrefix("% Number columns are siunitx S columns, aligned on the decimal point: \\usepackage{siunitx}\n"))
        let result = try LaTeXCompiler.compile(table: latex, packages: ["siunitx"])
        #expect(result.status == 0 && result.errors.isEmpty && result.onePagePDF, "\(result.errors) \(result.output.suffix(2000))")
        // The default stays centred columns, byte for byte the committed golden.
        #expect(try String(contentsOf: Fixtures.url("tables/regression.tex"), encoding: .utf8).contains("\\begin{tabular}{lccc}"))
    }

    /// Compiles `table` in a booktabs article with pdflatex: exit 0, no error in the log, one page.
    static func compile(_ table: String) throws {
        let result = try LaTeXCompiler.compile(table: table)
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.onePagePDF)
    }
}
