import Foundation
import PaperflowCore
import PaperflowData

/// `tables.descriptive`: summary statistics of chosen variables — one row per variable, one
/// column per statistic — overall or per group (a section per group), as a paper's Table 1 of
/// descriptive statistics (Stata's `summarize`, R's `summary`: sd with n − 1, type-7 quantiles).
public struct DescriptiveTableStage: Stage {
    public static let id = "tables.descriptive"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Descriptive statistics (N, mean, SD, quantiles …) of variables, overall or by group (Markdown, LaTeX, HTML, CSV).",
        documentation: """
            statistics: any of \(SummaryStatistic.allCases.map(\.rawValue).joined(separator: ", ")).
            Missing values are left out of each statistic (responses counts the rows present).
            With by, each group (in order of first appearance) is a section headed by its value.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: TableLayout.outputs,
        params: [
            ParamSpec("columns", .list(.string), required: true, summary: "variables to describe, in order"),
            ParamSpec("statistics", .list(.oneOf(SummaryStatistic.allCases.map(\.rawValue))),
                      default: .list(["responses", "mean", "sd", "min", "median", "max"].map(ParamValue.string)), summary: "columns of the table"),
            ParamSpec("by", .string, default: .string(""), summary: "a section per value of this column"),
            ParamSpec("labels", .map(.string), default: .map([:]), summary: "variable → label"),
            ParamSpec("digits", .int, default: .int(2), summary: "decimal places"),
            ParamSpec("caption", .string, default: .string(""), summary: "the caption"),
            ParamSpec("notes", .string, default: .string(""), summary: "a note under the table"),
        ] + TableLayout.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        let names = context.strings("columns")
        let statistics = context.strings("statistics").compactMap(SummaryStatistic.init(rawValue:))
        let labels = (context.params["labels"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        let digits = Int(context.int("digits")!)
        guard (0...10).contains(digits) else { throw StageFailure("digits must be between 0 and 10; it is \(digits)") }
        let variables = try names.map { try table.numbers($0, for: "columns", hint: "summarise a number or a yes/no column") }
        let by = context.string("by")!
        let sections: [(title: String?, rows: [Int])] = by.isEmpty ? [(nil, Array(0..<table.rowCount))]
            : try { let groups = try table.groups(by, for: "by"); return zip(groups.levels, groups.rows).map { ($0, $1) } }()
        var rows: [TableLayout.Row] = [], rules: Set<Int> = []
        for section in sections {
            if let title = section.title {
                if !rows.isEmpty { rules.insert(rows.count) }
                rows.append(TableLayout.Row(label: "\(labels[by] ?? by): \(title)", cells: statistics.map { _ in "" }))
            }
            for (name, values) in zip(names, variables) {
                rows.append(TableLayout.Row(label: labels[name] ?? name, cells: statistics.map {
                    SummaryStatistic.format($0.compute(values, rows: section.rows), isCount: $0.isCount, digits: digits)
                }))
            }
        }
        let notes = context.string("notes")!
        let layout = TableLayout(caption: context.string("caption").flatMap { $0.isEmpty ? nil : $0 }, corner: "Variable",
                                 titles: statistics.map { SummaryStatistic.labels[$0]! }, rows: rows, rulesBefore: rules,
                                 notes: notes.isEmpty ? [] : [notes], htmlClass: "descriptive")
        return layout.artifacts(context)
    }
}
