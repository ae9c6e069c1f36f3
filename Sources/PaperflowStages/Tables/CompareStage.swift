import Foundation
import PaperflowCore
import PaperflowData

/// `tables.compare`: every published number against the one a workflow reproduced, at the
/// number's printed precision — the check a replication package needs, and zhou-2010's
/// consistency report (where the published tables disagree with each other, no micro data can
/// reproduce all of them, and the report lists which).
public struct CompareStage: Stage {
    public static let id = "tables.compare"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Published numbers against reproduced ones at their printed precision: which agree, which do not (Markdown, LaTeX, HTML, CSV).",
        documentation: """
            published: one row per printed number — table, row, column, cell, value — with value as
            printed (text: "31.3", "80", "0.752"). values: the tables.crosstab values outputs
            (row, column, cell, value), one per name in tables, in the same order. A number
            agrees when the reproduced value rounds to the printed one: |reproduced − printed|
            ≤ half a unit of the printed last digit (+1e-9 for binary round-off). Published
            rows of tables not listed, or cells not reproduced, are reported as missing. The
            summary output counts, per table, the numbers that agree, disagree and are missing.
            """,
        inputs: [PortSpec("published", kind: .table, summary: "table, row, column, cell, value (as printed)"),
                 PortSpec("values", kind: .table, multiple: true, summary: "reproduced cells: row, column, cell, value (tables.crosstab's values)")],
        outputs: TableLayout.outputs + [
            PortSpec("summary", kind: .json, fileName: "summary.json", summary: "per table: agree, disagree, missing; and every disagreement"),
        ],
        params: [
            ParamSpec("tables", .list(.string), required: true, summary: "the published table of each values input, in order"),
            ParamSpec("show", .oneOf(["disagreements", "all"]), default: .string("disagreements"), summary: "which numbers the rendered table lists"),
            ParamSpec("caption", .string, default: .string(""), summary: "the caption"),
            ParamSpec("notes", .string, default: .string(""), summary: "a note under the table"),
        ] + TableLayout.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let names = context.strings("tables")
        let inputs = context.inputs["values"] ?? []
        guard names.count == inputs.count else {
            throw StageFailure("tables names \(names.count) table\(names.count == 1 ? "" : "s") but values has \(inputs.count) input\(inputs.count == 1 ? "" : "s"); give one name per values input, in order")
        }
        // The reproduced cells, by table / row / column / cell.
        var reproduced: [String: Double?] = [:]
        for (name, artifact) in zip(names, inputs) {
            let table: Table
            do { table = try BinaryTableFormat.read(contentsOf: artifact.url) } catch {
                throw StageFailure("values input for '\(name)' is not a table: \(error)")
            }
            let rows = try table.column("row", for: "values"), columns = try table.column("column", for: "values")
            let cells = try table.column("cell", for: "values"), values = try table.numbers("value", for: "values")
            for index in 0..<table.rowCount {
                reproduced[PublishedNumber.key(name, rows[index].description, columns[index].description, cells[index].description)] =
                    values[index].isNaN ? .some(nil) : values[index]
            }
        }
        let published = try PublishedNumber.read(try context.table("published"), input: "published")
        struct Line { var table, row, column, cell, printed, reproduced, verdict: String }
        var lines: [Line] = []
        var counts: [String: [String: Int]] = [:]
        var disagreements: [ParamValue] = []
        for number in published where names.contains(number.table) {
            let (table, row, column, cell, printed) = (number.table, number.row, number.column, number.cell, number.printed)
            let verdict: String, shown: String
            switch reproduced[number.key] {
            case let value??:
                verdict = printed.agrees(with: value) ? "agrees" : "disagrees"
                shown = printed.format(value)
                if verdict == "disagrees" {
                    disagreements.append(.map(["table": .string(table), "row": .string(row), "column": .string(column), "cell": .string(cell),
                                               "published": .string(printed.text), "reproduced": .double(value)]))
                }
            default: (verdict, shown) = ("missing", "")     // not reproduced, or reproduced as missing
            }
            counts[table, default: [:]][verdict, default: 0] += 1
            lines.append(Line(table: table, row: row, column: column, cell: cell, printed: printed.text, reproduced: shown, verdict: verdict))
        }
        let shownLines = context.string("show") == "all" ? lines : lines.filter { $0.verdict != "agrees" }
        let summary = names.map { name -> String in
            let count = counts[name] ?? [:]
            return "\(name): \(count["agrees"] ?? 0) agree, \(count["disagrees"] ?? 0) disagree, \(count["missing"] ?? 0) missing"
        }
        let notes = context.string("notes")!
        let layout = TableLayout(
            caption: context.string("caption").flatMap { $0.isEmpty ? nil : $0 }, corner: "table", csvCorner: nil,
            titles: ["row", "column", "cell", "published", "reproduced", "verdict"],
            rows: shownLines.map { TableLayout.Row(label: $0.table, cells: [$0.row, $0.column, $0.cell, $0.printed, $0.reproduced, $0.verdict]) },
            rulesBefore: [], notes: summary + (notes.isEmpty ? [] : [notes]), htmlClass: "compare")
        var artifacts = layout.artifacts(context)
        let report: ParamValue = .map([
            "tables": .map(Dictionary(uniqueKeysWithValues: names.map { name in
                (name, ParamValue.map((counts[name] ?? [:]).mapValues { .int(Int64($0)) }))
            })),
            "disagreements": .list(disagreements),
        ])
        artifacts["summary"] = .bytes(Data(JSONText.pretty(report)))
        return artifacts
    }
}
