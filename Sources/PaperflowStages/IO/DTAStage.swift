import Foundation
import PaperflowCore
import PaperflowData

/// `io.dta`: reads a Stata .dta file (formats 113–119, Stata 8 to 18) into a table artifact, with
/// a report of what each column was and became.
public struct DTAStage: Stage {
    public static let id = "io.dta"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Reads a Stata .dta file (Stata 8–18) into a table: value labels, strLs, missing codes, dates.",
        documentation: """
            byte, int and long become int64 columns, float and double double columns (a float's
            value exactly, as Stata stores it), str and strL text (an empty Stata string stays
            empty text: Stata has no missing string). Value-labelled numbers become categories of
            their labels (value_labels: codes keeps the numbers; a number without a label keeps
            its digits, counted in the report). %td and %tc numbers become ISO 8601 text
            (dates: number keeps Stata's days or milliseconds since 1960). . and .a–.z are all
            missing; the report counts each code per column and keeps the variable labels and
            formats. Text is UTF-8 from format 118 on, Latin-1 where an older file is not UTF-8.
            """,
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the table"),
                  PortSpec("report", kind: .json, fileName: "report.json", summary: "release, rows, and per column: Stata type, format, label, missing codes")],
        params: [
            ParamSpec("path", .path, required: true, summary: "project-relative path of the .dta file"),
            ParamSpec("value_labels", .oneOf(["labels", "codes"]), default: .string("labels"), summary: "value-labelled numbers as their labels or their codes"),
            ParamSpec("dates", .oneOf(["text", "number"]), default: .string("text"), summary: "%td/%tc values as ISO 8601 text or Stata's numbers"),
        ],
        fileParams: ["path"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let path = context.string("path")!
        var options = DTAOptions()
        options.valueLabels = context.string("value_labels") == "labels"
        options.datesAsText = context.string("dates") == "text"
        let table: Table, report: DTAReport
        do {
            (table, report) = try DTAReader.read(contentsOf: context.projectURL(path), displayPath: path, options: options)
        } catch let error as DTAError {
            throw StageFailure(error.description)
        }
        for column in report.columns {
            let extended = column.missing.filter { $0.key != "." }
            if !extended.isEmpty {
                context.report(.note, "\(column.name): extended missing values read as missing: "
                               + extended.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", "))
            }
            if let unlabelled = column.unlabelled, unlabelled > 0 {
                context.report(.warning, "\(column.name): \(unlabelled) value(s) have no label in \(column.valueLabels ?? "its value labels") and keep their number")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return ["table": .bytes(BinaryTableFormat.data(table)), "report": .bytes(try encoder.encode(report))]
    }
}
