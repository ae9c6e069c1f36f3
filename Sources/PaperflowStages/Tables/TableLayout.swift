import Foundation
import PaperflowCore

/// A published table's cells — a label column, titled columns, rows with optional rules between
/// sections, notes and a caption — rendered as Markdown, LaTeX (booktabs), HTML and CSV from the
/// same cells, so the four never disagree. Every `tables.*` stage builds one.
struct TableLayout: Equatable {
    /// A row: its label and one cell per column.
    struct Row: Equatable {
        var label: String
        var cells: [String]
        /// A standard-error row (printed under its coefficient, in parentheses already).
        var isStandardError = false

        init(label: String, cells: [String], isStandardError: Bool = false) {
            self.label = label
            self.cells = cells
            self.isStandardError = isStandardError
        }
    }

    var caption: String?
    /// The label column's heading.
    var corner: String
    /// The label column's heading in the CSV, when it differs.
    var csvCorner: String?
    var titles: [String]
    var rows: [Row]
    /// Indices of rows that open a new section (a rule above them).
    var rulesBefore: Set<Int>
    var notes: [String]
    /// The HTML table's class.
    var htmlClass: String
    /// LaTeX number columns as siunitx S columns, aligned on the decimal point.
    var siunitx = false

    /// The parameters every table stage takes for its renderings.
    static let params = [
        ParamSpec("latex_columns", .oneOf(["center", "siunitx"]), default: .string("center"),
                  summary: "LaTeX number columns centred, or siunitx S columns aligned on the decimal point (needs \\usepackage{siunitx})"),
    ]

    /// The four renderings, as the stage's `latex_columns` asks.
    func artifacts(_ context: StageContext) -> [String: Artifact] {
        var layout = self
        layout.siunitx = context.string("latex_columns") == "siunitx"
        return layout.artifacts
    }

    /// The output ports every table stage has, one per format.
    static let outputs = [PortSpec("markdown", kind: .text, fileName: "table.md", summary: "Markdown"),
                          PortSpec("latex", kind: .text, fileName: "table.tex", summary: "LaTeX (booktabs)"),
                          PortSpec("html", kind: .text, fileName: "table.html", summary: "an HTML table"),
                          PortSpec("csv", kind: .text, fileName: "table.csv", summary: "the cells as CSV")]

    /// The four renderings, by output port.
    var artifacts: [String: Artifact] {
        ["markdown": .bytes(Data(markdown.utf8)), "latex": .bytes(Data(latex.utf8)), "html": .bytes(Data(html.utf8)), "csv": .bytes(Data(csv.utf8))]
    }

    // MARK: Renderers

    var markdown: String {
        func line(_ cells: [String]) -> String { "| " + cells.map(Markup.markdownCell).joined(separator: " | ") + " |\n" }
        var text = caption.map { "**\($0)**\n\n" } ?? ""
        text += line([corner] + titles)
        text += "|---|" + String(repeating: "---:|", count: titles.count) + "\n"
        for row in rows { text += line([row.label] + row.cells) }
        return text + "\n" + notes.map { "\($0)\n" }.joined()
    }

    /// LaTeX for the Unicode that tables carry, in commands pdflatex knows without extra packages
    /// (Latin letters with accents pass as UTF-8, which LaTeX reads by default since 2018).
    static let latexSymbols: [Character: String] = {
        var map: [Character: String] = [
            "\u{2212}": "$-$", "≥": "$\\geq$", "≤": "$\\leq$", "≠": "$\\neq$", "≈": "$\\approx$", "×": "$\\times$",
            "÷": "$\\div$", "±": "$\\pm$", "·": "$\\cdot$", "∞": "$\\infty$", "→": "$\\rightarrow$", "←": "$\\leftarrow$",
            "↔": "$\\leftrightarrow$", "√": "$\\surd$", "∑": "$\\sum$", "∆": "$\\Delta$", "°": "$^{\\circ}$",
            "¹": "$^1$", "²": "$^2$", "³": "$^3$", "…": "\\ldots{}", "–": "--", "—": "---", "‘": "`", "’": "'",
            "“": "``", "”": "''", "§": "\\S{}", "¶": "\\P{}", "£": "\\pounds{}", "‰": "\\textperthousand{}",
            "\u{00A0}": "~", "\u{2009}": "\\,", "\u{202F}": "\\,",
        ]
        let greek = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
                     "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"]
        for (offset, name) in greek.enumerated() {
            // α…ω at U+03B1… (ς, final sigma, sits between ρ and σ); Α…Ω at U+0391….
            let lower = Unicode.Scalar(0x03B1 + offset + (offset >= 17 ? 1 : 0))!
            let upper = Unicode.Scalar(0x0391 + offset + (offset >= 17 ? 1 : 0))!
            map[Character(lower)] = name == "omicron" ? "o" : "$\\\(name)$"
            // Capitals that look like Latin ones have no command of their own: the Latin letter.
            let latinLooking = ["alpha": "A", "beta": "B", "epsilon": "E", "zeta": "Z", "eta": "H", "iota": "I", "kappa": "K",
                                "mu": "M", "nu": "N", "omicron": "O", "rho": "P", "tau": "T", "chi": "X"]
            map[Character(upper)] = latinLooking[name] ?? "$\\\(name.prefix(1).uppercased() + name.dropFirst())$"
        }
        map["ς"] = "$\\varsigma$"
        map["ϕ"] = "$\\phi$"
        return map
    }()

    /// Whether `text` holds Chinese, Japanese or Korean characters (which pdflatex cannot set).
    static func hasCJK(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x3000...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0xFF00...0xFFEF,
                 0x20000...0x2FA1F: return true
            default: return false
            }
        }
    }

    var latex: String {
        func escape(_ text: String) -> String {
            var result = ""
            for character in text {
                switch character {
                case "\\": result += "\\textbackslash{}"
                case "&", "%", "$", "#", "_", "{", "}": result += "\\\(character)"
                case "~": result += "\\textasciitilde{}"
                case "<", ">": result += "$\(character)$"
                case "^": result += "\\textasciicircum{}"
                default:
                    if let symbol = Self.latexSymbols[character] { result += symbol } else { result.append(character) }
                }
            }
            return result
        }
        /// A number cell: a minus sign in math mode, stars as superscripts.
        func cell(_ text: String) -> String {
            var body = text, stars = ""
            while body.hasSuffix("*") { body.removeLast(); stars += "*" }
            if body.hasPrefix("-") { body = "$-$" + body.dropFirst() } else if body.hasPrefix("(-") { body = "($-$" + body.dropFirst(2) }
            return escape(body.replacingOccurrences(of: "$-$", with: "\u{1}")).replacingOccurrences(of: "\u{1}", with: "$-$")
                + (stars.isEmpty ? "" : "$^{\(stars)}$")
        }
        /// A cell of an S column: a number (with stars, or in parentheses) as siunitx parses it,
        /// anything else braced as text.
        func siunitxCell(_ text: String) -> String {
            guard let number = Self.siunitxNumber(text) else { return text.isEmpty ? "" : "{" + escape(text) + "}" }
            return (number.parenthesised ? "(" + number.digits + ")" : number.digits) + (number.stars.isEmpty ? "" : "$^{\(number.stars)}$")
        }
        var text = ""
        if Self.hasCJK(([caption ?? "", corner] + titles + rows.flatMap { [$0.label] + $0.cells } + notes).joined()) {
            // Set by xelatex with xeCJK; pdflatex stops at the first CJK character.
            text += "% This table contains CJK text: compile with xelatex and \\usepackage{xeCJK}\n"
                + "% (and \\setCJKmainfont{Noto Serif CJK SC} or another installed CJK font).\n"
        }
        if siunitx { text += "% Number columns are siunitx S columns, aligned on the decimal point: \\usepackage{siunitx}\n" }
        text += "\\begin{table}[htbp]\n\\centering\n"
        if let caption { text += "\\caption{\(escape(caption))}\n" }
        if siunitx {
            // Parentheses and stars sit outside the aligned number, with room kept for them.
            text += "\\sisetup{input-open-uncertainty=, input-close-uncertainty=, table-align-text-pre=false, table-align-text-post=false}\n"
            let specs = titles.indices.map { column -> String in
                let numbers = rows.compactMap { Self.siunitxNumber($0.cells[column]) }
                guard !numbers.isEmpty else { return "c" }
                let integers = numbers.map { $0.digits.split(separator: ".", omittingEmptySubsequences: false)[0].filter(\.isNumber).count }.max()!
                let decimals = numbers.map { $0.digits.split(separator: ".").dropFirst().first?.count ?? 0 }.max()!
                let sign = numbers.contains { $0.digits.hasPrefix("-") } ? "-" : ""
                let stars = numbers.map(\.stars.count).max()!
                let post = (numbers.contains(where: \.parenthesised) ? ")" : "") + (stars > 0 ? "$^{" + String(repeating: "*", count: stars) + "}$" : "")
                return "S[table-format=\(sign)\(max(integers, 1)).\(decimals)"
                    + (numbers.contains(where: \.parenthesised) ? ", table-space-text-pre=(" : "")
                    + (post.isEmpty ? "" : ", table-space-text-post={\(post)}") + "]"
            }
            text += "\\begin{tabular}{l" + specs.joined() + "}\n\\toprule\n"
            text += escape(corner) + " & " + titles.map { "{" + escape($0) + "}" }.joined(separator: " & ") + " \\\\\n\\midrule\n"
        } else {
            text += "\\begin{tabular}{l" + String(repeating: "c", count: titles.count) + "}\n\\toprule\n"
            text += escape(corner) + " & " + titles.map(escape).joined(separator: " & ") + " \\\\\n\\midrule\n"
        }
        for (index, row) in rows.enumerated() {
            if rulesBefore.contains(index) { text += "\\midrule\n" }
            text += escape(row.label) + " & " + row.cells.map(siunitx ? siunitxCell : cell).joined(separator: " & ") + " \\\\\n"
        }
        text += "\\bottomrule\n\\end{tabular}\n"
        for note in notes { text += "\\par\\smallskip{\\footnotesize \(escape(note))}\n" }
        return text + "\\end{table}\n"
    }

    /// A plain decimal number as siunitx reads it — optionally negative, in parentheses, with
    /// stars — or nil for anything else (thousands separators, words), which a cell braces.
    static func siunitxNumber(_ text: String) -> (digits: String, parenthesised: Bool, stars: String)? {
        var body = Substring(text), stars = ""
        while body.hasSuffix("*") { body.removeLast(); stars += "*" }
        let parenthesised = body.hasPrefix("(") && body.hasSuffix(")")
        if parenthesised { body = body.dropFirst().dropLast() }
        guard body.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil else { return nil }
        return (String(body), parenthesised, stars)
    }

    /// An HTML table that carries its own booktabs rules and alignment in inline styles, so it
    /// looks the same pasted into Word or LibreOffice (which keep inline CSS and drop class
    /// rules) as in the report.
    var html: String {
        let escape = Markup.escape
        let cellPadding = "padding:1pt 8pt"
        let top = "border-top:1.5pt solid #000", mid = "border-top:0.75pt solid #000", bottom = "border-bottom:1.5pt solid #000"
        var text = "<table class=\"\(htmlClass)\" style=\"border-collapse:collapse\">\n"
        if let caption { text += "<caption style=\"caption-side:top;padding-bottom:4pt\">\(escape(caption))</caption>\n" }
        let head = "\(top);border-bottom:0.75pt solid #000;\(cellPadding)"
        text += "<thead><tr><th style=\"\(head);text-align:left\">\(escape(corner))</th>"
            + titles.map { "<th style=\"\(head);text-align:center\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (index, row) in rows.enumerated() {
            let kind = row.isStandardError ? " class=\"se\"" : rulesBefore.contains(index) ? " class=\"rule\"" : ""
            let rules = (rulesBefore.contains(index) ? ";" + mid : "") + (index == rows.count - 1 ? ";" + bottom : "")
            text += "<tr\(kind)><th style=\"text-align:left;font-weight:normal;\(cellPadding)\(rules)\">\(escape(row.label))</th>"
                + row.cells.map { "<td style=\"text-align:center;\(cellPadding)\(rules)\">\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        text += "</tbody>\n<tfoot>" + notes.map { "<tr><td colspan=\"\(titles.count + 1)\" style=\"text-align:left;padding-top:4pt;font-size:smaller\">\(escape($0))</td></tr>" }.joined() + "</tfoot>\n"
        return text + "</table>\n"
    }

    var csv: String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return ([[csvCorner ?? corner] + titles] + rows.map { [$0.label] + $0.cells }).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }
}
