import PaperflowStages

/// A README as blocks, rendered twice: Markdown (`README.md`) and LaTeX (`README.tex`, compiled
/// to `README.pdf` where pdflatex is present), so the two say the same thing.
struct PackageDocument {
    enum Block {
        case heading(Int, String)
        case paragraph(String)
        case list([String])
        case table(header: [String], rows: [[String]])
        case code(String)
    }

    var title: String
    var blocks: [Block] = []

    mutating func heading(_ level: Int, _ text: String) { blocks.append(.heading(level, text)) }
    mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
    mutating func list(_ items: [String]) { if !items.isEmpty { blocks.append(.list(items)) } }
    mutating func table(_ header: [String], _ rows: [[String]], empty: String = "None.") {
        blocks.append(rows.isEmpty ? .paragraph(empty) : .table(header: header, rows: rows))
    }
    mutating func code(_ text: String) { blocks.append(.code(text)) }

    /// The level-2 section titles, in order (what `package --check` looks for).
    var sections: [String] {
        blocks.compactMap { if case let .heading(2, text) = $0 { text } else { nil } }
    }

    // MARK: Markdown

    var markdown: String {
        var out = "# \(title)\n"
        for block in blocks {
            out += "\n"
            switch block {
            case let .heading(level, text):
                out += String(repeating: "#", count: level) + " " + text + "\n"
            case let .paragraph(text):
                out += text + "\n"
            case let .list(items):
                out += items.map { "- " + $0.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n") + "\n"
            case let .table(header, rows):
                func row(_ cells: [String]) -> String {
                    "| " + cells.map { Markup.markdownCell($0.replacingOccurrences(of: "\n", with: " ")) }.joined(separator: " | ") + " |"
                }
                out += row(header) + "\n" + "|" + String(repeating: " --- |", count: header.count) + "\n"
                out += rows.map(row).joined(separator: "\n") + "\n"
            case let .code(text):
                out += "```\n" + text + "\n```\n"
            }
        }
        return out
    }

    // MARK: LaTeX

    var latex: String {
        var out = """
            \\documentclass[10pt]{article}
            \\usepackage[T1]{fontenc}
            \\usepackage[utf8]{inputenc}
            \\usepackage[margin=2cm,landscape]{geometry}
            \\usepackage{longtable,booktabs,array}
            \\usepackage[hidelinks]{hyperref}
            \\setlength{\\parindent}{0pt}\\setlength{\\parskip}{0.5em}
            \\title{\(Self.escape(title))}\\date{}
            \\begin{document}
            \\maketitle

            """
        for block in blocks {
            switch block {
            case let .heading(level, text):
                out += (level <= 2 ? "\\section*{" : level == 3 ? "\\subsection*{" : "\\subsubsection*{") + Self.escape(text) + "}\n"
            case let .paragraph(text):
                out += Self.escape(text) + "\n\n"
            case let .list(items):
                out += "\\begin{itemize}\n" + items.map { "\\item " + Self.escape($0) + "\n" }.joined() + "\\end{itemize}\n"
            case let .table(header, rows):
                let width = String(format: "%.3f", 0.95 / Double(max(header.count, 1)))
                out += "{\\footnotesize\\begin{longtable}{" + String(repeating: ">{\\raggedright\\arraybackslash}p{\(width)\\linewidth}", count: header.count) + "}\n\\toprule\n"
                out += header.map { "\\textbf{" + Self.escape($0) + "}" }.joined(separator: " & ") + " \\\\\n\\midrule\n\\endhead\n"
                out += rows.map { $0.map(Self.escape).joined(separator: " & ") + " \\\\\n" }.joined()
                out += "\\bottomrule\n\\end{longtable}}\n"
            case let .code(text):
                out += "{\\footnotesize\\begin{verbatim}\n" + Self.verbatimSafe(text) + "\n\\end{verbatim}}\n"
            }
        }
        return out + "\\end{document}\n"
    }

    /// Text with LaTeX's special characters escaped; long unbroken tokens (digests, paths) may
    /// break after a slash, colon or every 16 characters. Characters outside Latin-1 become `?`
    /// in the PDF (the Markdown keeps them).
    static func escape(_ text: String) -> String {
        var out = ""
        var run = 0
        for character in text {
            run = character == " " ? 0 : run + 1
            switch character {
            case "\\": out += "\\textbackslash{}"
            case "{", "}", "$", "&", "#", "_", "%": out += "\\" + String(character)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "<": out += "\\textless{}"
            case ">": out += "\\textgreater{}"
            case "\n": out += "\\\\\n"; run = 0
            default:
                let scalars = character.unicodeScalars
                out += scalars.allSatisfy({ $0.value < 0x100 }) ? String(character) : substitute(character)
            }
            if character == "/" || character == ":" || run >= 16 { out += "\\allowbreak{}"; run = 0 }
        }
        return out
    }

    /// Typographic characters pdflatex's default fonts have under another name.
    private static func substitute(_ character: Character) -> String {
        switch character {
        case "–": "--"
        case "—": "---"
        case "‘", "’": "'"
        case "“": "``"
        case "”": "''"
        case "…": "..."
        case "×": "$\\times$"
        case "≥": "$\\geq$"
        case "≤": "$\\leq$"
        case "→": "$\\rightarrow$"
        case "−": "-"
        default: "?"
        }
    }

    /// Verbatim text pdflatex can typeset: characters beyond Latin-1 become `?`.
    static func verbatimSafe(_ text: String) -> String {
        String(text.map { $0.unicodeScalars.allSatisfy { $0.value < 0x100 } ? $0 : "?" })
    }
}
