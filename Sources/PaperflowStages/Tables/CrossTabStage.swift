import Foundation
import PaperflowCore
import PaperflowData

/// `tables.crosstab`: statistics by a row variable × column groups, with a totals row — zhou-2010's
/// Tables 1 and 3–6 (firm counts by region and sector; % exporting, number exporting and mean export
/// share by region and ownership; R&D shares by region, with totals as weighted means of the
/// region rows).
public struct CrossTabStage: Stage {
    public static let id = "tables.crosstab"
    public static let version = 1
    static let cellFunctions = SummaryStatistic.allCases.map(\.rawValue) + ["row_percent", "column_percent"]
    public static let signature = StageSignature(
        summary: "Cross-tabulation: counts, shares, group means by rows × column groups, with a totals row (Markdown, LaTeX, HTML, CSV).",
        documentation: """
            cells: "statistic(variable)" in each row × column-group cell, one table column each:
            n(), row_percent(), column_percent(), or \(SummaryStatistic.allCases.filter { $0 != .n }.map { "\($0.rawValue)(x)" }.joined(separator: ", ")).
            percent(x) is 100 × the share of rows where x is true among those where it is present.
            totals: pooled computes each statistic over all rows of the column group; weighted
            takes the mean of the row values weighted by each row's number of rows (N), as
            zhou-2010's totals (counts and sums are added up either way); none leaves it out.
            weights: what weighs a row in a weighted total — rows (its N) or responses (its
            rows with a value of the cell's variable: zhou-2010's Tables 4 and 5, where the R&D
            expenditure totals weigh each region by the firms that answered).
            Rows are in order of first appearance unless row_order lists them, or ranked by
            sort_by: a column's title (the cell, "2011", or "2011: mean(x)" with several cells),
            largest first, missing values last.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows (e.g. one per firm)")],
        outputs: TableLayout.outputs + [PortSpec("values", kind: .table, fileName: "values.pftable",
                                                 summary: "every cell as a number: row, column, cell, value")],
        params: [
            ParamSpec("rows", .string, required: true, summary: "the row variable (e.g. region)"),
            ParamSpec("columns", .list(.string), default: .list([]), summary: "column groups: each combination of these variables"),
            ParamSpec("cells", .list(.string), default: .list([.string("n()")]), summary: "statistic(variable) per cell"),
            ParamSpec("column_total", .bool, default: .bool(true), summary: "a Total column group first (when columns are given)"),
            ParamSpec("totals", .oneOf(["pooled", "weighted", "none"]), default: .string("pooled"), summary: "the totals row"),
            ParamSpec("weights", .oneOf(["rows", "responses"]), default: .string("rows"), summary: "weighted totals: weigh each row by its N or by its responses"),
            ParamSpec("row_order", .list(.string), default: .list([]), summary: "row values in order (default: first appearance)"),
            ParamSpec("sort_by", .string, default: .string(""), summary: "rank the rows by this column (its title), largest first"),
            ParamSpec("subset", .string, default: .string(""), summary: "a condition: tabulate the rows where it is true"),
            ParamSpec("labels", .map(.string), default: .map([:]), summary: "cell expression, variable or value → label"),
            ParamSpec("digits", .int, default: .int(2), summary: "decimal places"),
            ParamSpec("column_digits", .map(.int), default: .map([:]),
                      summary: "decimal places of single columns, by title (`software: z: 3`), as a paper prints them"),
            ParamSpec("caption", .string, default: .string(""), summary: "the caption"),
            ParamSpec("notes", .string, default: .string(""), summary: "a note under the table"),
        ] + TableLayout.params
    )

    public init() {}

    /// A parsed cell: `mean(export_share)`.
    struct Cell {
        var text: String
        var function: String
        var values: [Double]
        /// Whole numbers: counts, and sums of an integer column (added up in the totals row too).
        var isWhole: Bool
    }

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.subset(try context.table())
        let labels = (context.params["labels"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        let digits = Int(context.int("digits")!)
        guard (0...10).contains(digits) else { throw StageFailure("digits must be between 0 and 10; it is \(digits)") }
        let cells = try context.strings("cells").map { text -> Cell in
            let trimmed = text.replacingOccurrences(of: " ", with: "")
            guard let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")"),
                  Self.cellFunctions.contains(String(trimmed[..<open])) else {
                throw StageFailure("cells entry '\(text)' is not statistic(variable); statistics: \(Self.cellFunctions.joined(separator: ", "))")
            }
            let function = String(trimmed[..<open]), variable = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let needsVariable = !["n", "row_percent", "column_percent"].contains(function)
            guard needsVariable != variable.isEmpty else {
                throw StageFailure("cells entry '\(text)': \(function) \(needsVariable ? "needs a variable, e.g. \(function)(export_share)" : "takes no variable: \(function)()")")
            }
            let values = needsVariable ? try table.numbers(variable, for: "cells", hint: "summarise a number or a yes/no column") : []
            let integral = needsVariable && (try? table.column(variable, for: "cells"))?.type == .int64
            return Cell(text: trimmed, function: function, values: values,
                        isWhole: SummaryStatistic(rawValue: function)?.isCount == true || (integral && function == "sum"))
        }
        // Row groups, reordered if asked.
        let rowName = context.string("rows")!
        var (rowLevels, rowMembers) = try table.groups(rowName, for: "rows")
        let order = context.strings("row_order")
        if !order.isEmpty {
            for level in rowLevels where !order.contains(level) {
                throw StageFailure("row_order leaves out '\(level)', a value of \(rowName); list every value")
            }
            rowMembers = order.map { level in rowLevels.firstIndex(of: level).map { rowMembers[$0] } ?? [] }
            rowLevels = order
        }
        // Column groups: each combination of the column variables, in order of first appearance.
        let columnNames = context.strings("columns")
        var columnLevels: [String] = [], columnMembers: [Set<Int>] = []
        if !columnNames.isEmpty {
            let columns = try columnNames.map { try table.column($0, for: "columns") }
            var index: [[Value]: Int] = [:]
            for row in 0..<table.rowCount where !columns.contains(where: { $0.isMissing(row) }) {
                let key = columns.map { $0[row] }
                if let position = index[key] { columnMembers[position].insert(row); continue }
                index[key] = columnLevels.count
                columnLevels.append(key.map { labels[$0.description] ?? $0.description }.joined(separator: " / "))
                columnMembers.append([row])
            }
        }
        let everyRow = Set(0..<table.rowCount)
        if columnNames.isEmpty || context.bool("column_total")! {
            columnLevels.insert("Total", at: 0)
            columnMembers.insert(everyRow, at: 0)
        }
        func value(_ cell: Cell, rows: [Int], column: Int, rowTotal: Int, columnTotal: Int) -> Double? {
            switch cell.function {
            case "n": return Double(rows.count)
            case "row_percent": return rowTotal == 0 ? nil : 100 * Double(rows.count) / Double(rowTotal)
            case "column_percent": return columnTotal == 0 ? nil : 100 * Double(rows.count) / Double(columnTotal)
            default: return SummaryStatistic(rawValue: cell.function)!.compute(cell.values, rows: rows)
            }
        }
        let columnTotals = columnMembers.map { members in rowMembers.reduce(0) { $0 + $1.count { members.contains($0) } } }
        var grid: [[Double?]] = []          // rows × (column groups × cells)
        var weights: [[Double]] = []         // rows × (column groups × cells): the row's weight in a weighted total
        let byResponses = context.string("weights") == "responses"
        for members in rowMembers {
            var line: [Double?] = [], weight: [Double] = []
            for (column, group) in columnMembers.enumerated() {
                let rows = members.filter { group.contains($0) }
                for cell in cells {
                    line.append(value(cell, rows: rows, column: column, rowTotal: members.count, columnTotal: columnTotals[column]))
                    weight.append(Double(byResponses && !cell.values.isEmpty ? rows.count { !cell.values[$0].isNaN } : rows.count))
                }
            }
            grid.append(line)
            weights.append(weight)
        }
        let totals = context.string("totals")!
        var totalLine: [Double?] = []
        if totals != "none" {
            let allRows = rowMembers.flatMap { $0 }.sorted()
            for (column, group) in columnMembers.enumerated() {
                for (index, cell) in cells.enumerated() {
                    let position = column * cells.count + index
                    // Counts and sums add up over the rows; only averages are weighted.
                    let isCount = cell.function == "sum" || SummaryStatistic(rawValue: cell.function)?.isCount == true
                    if totals == "weighted", !isCount, !cell.function.hasSuffix("percent") || cell.function == "percent" {
                        // Σ value × weight / Σ weight over the rows with a value.
                        var numerator = 0.0, denominator = 0.0
                        for (row, line) in grid.enumerated() {
                            if let v = line[position] { numerator += v * weights[row][position]; denominator += weights[row][position] }
                        }
                        totalLine.append(denominator > 0 ? numerator / denominator : nil)
                    } else {
                        let rows = allRows.filter { group.contains($0) }
                        totalLine.append(value(cell, rows: rows, column: column, rowTotal: allRows.count, columnTotal: columnTotals[column]))
                    }
                }
            }
        }
        // Layout and the machine-readable values.
        func label(_ cell: Cell) -> String {
            labels[cell.text] ?? (cell.function == "n" ? "N" : cell.function.hasSuffix("percent") && cell.values.isEmpty ? "%" : cell.text)
        }
        func title(_ level: String, _ cell: Cell, labelled: Bool) -> String {
            let name = labelled ? label(cell) : cell.text
            return cells.count == 1 ? (columnNames.isEmpty ? name : level) : (columnNames.isEmpty ? name : "\(level): \(name)")
        }
        let titles = columnLevels.flatMap { level in cells.map { title(level, $0, labelled: true) } }
        if let sortBy = context.string("sort_by"), !sortBy.isEmpty {
            func squeezed(_ text: String) -> String { text.replacingOccurrences(of: " ", with: "") }
            let plain = columnLevels.flatMap { level in cells.map { title(level, $0, labelled: false) } }
            guard let position = plain.map(squeezed).firstIndex(of: squeezed(sortBy)) ?? titles.firstIndex(of: sortBy) else {
                throw StageFailure("sort_by '\(sortBy)' is not a column of the table; columns: \(plain.joined(separator: ", "))")
            }
            // Largest first, missing values last, ties in their order (the totals row is computed already).
            let ranked = grid.indices.sorted { a, b in
                switch (grid[a][position], grid[b][position]) {
                case let (x?, y?): return x != y ? x > y : a < b
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a < b
                }
            }
            (rowLevels, grid) = (ranked.map { rowLevels[$0] }, ranked.map { grid[$0] })
        }
        var columnDigits = Array(repeating: digits, count: titles.count)
        for (title, value) in (context.params["column_digits"]?.mapValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let position = titles.firstIndex(of: title) else {
                throw StageFailure("column_digits names '\(title)', which is not a column title; titles: \(titles.joined(separator: ", "))")
            }
            guard let places = value.intValue, (0...10).contains(places) else {
                throw StageFailure("column_digits '\(title)' must be a whole number from 0 to 10")
            }
            columnDigits[position] = Int(places)
        }
        func formatted(_ line: [Double?]) -> [String] {
            line.enumerated().map { position, value in
                SummaryStatistic.format(value, isCount: cells[position % cells.count].isWhole, digits: columnDigits[position])
            }
        }
        var rows = zip(rowLevels, grid).map { TableLayout.Row(label: labels[$0] ?? $0, cells: formatted($1)) }
        if totals != "none" { rows.append(TableLayout.Row(label: "Total", cells: formatted(totalLine))) }
        let notes = context.string("notes")!
        let layout = TableLayout(caption: context.string("caption").flatMap { $0.isEmpty ? nil : $0 }, corner: labels[rowName] ?? rowName,
                                 titles: titles, rows: rows, rulesBefore: totals != "none" ? [rowLevels.count] : [],
                                 notes: notes.isEmpty ? [] : [notes], htmlClass: "crosstab")
        var valueRows: [(String, String, String, Double?)] = []
        for (label, line) in zip(rowLevels + (totals != "none" ? ["Total"] : []), grid + (totals != "none" ? [totalLine] : [])) {
            for (position, value) in line.enumerated() {
                valueRows.append((label, columnLevels[position / cells.count], cells[position % cells.count].text, value))
            }
        }
        let values = try Table([("row", Column(category: valueRows.map(\.0))), ("column", Column(category: valueRows.map(\.1))),
                                ("cell", Column(category: valueRows.map(\.2))), ("value", Column(double: valueRows.map(\.3)))])
        var artifacts = layout.artifacts(context)
        artifacts["values"] = values.artifact
        return artifacts
    }
}
