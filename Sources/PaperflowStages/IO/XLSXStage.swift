import Foundation
import PaperflowCore
import PaperflowData

/// `io.xlsx`: reads one sheet of an Excel workbook (.xlsx) into a table artifact — a statistical
/// yearbook's table, a co-author's spreadsheet — typed as io.csv types a file.
public struct XLSXStage: Stage {
    public static let id = "io.xlsx"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Reads a sheet of an .xlsx workbook into a table (types as io.csv infers them; dates as ISO text).",
        documentation: """
            sheet by name or 1-based position (default: the first); range an A1 area (default:
            every used cell); skip_rows drops rows above the header (a yearbook's title). Text
            cells stay text (a code "0101" keeps its zero), numbers are typed as io.csv types
            them (schema: overrides), booleans are bool, a number in a date style is ISO 8601
            text (1900 or 1904 system), formula cells give their cached result, error cells
            (#DIV/0!) are missing. Empty rows are left out; merged cells in the area, error cells
            and date columns are listed in the report, and merged cells are warned about.
            """,
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the table"),
                  PortSpec("report", kind: .json, fileName: "report.json", summary: "sheet, area, rows, empty rows, merged and error cells")],
        params: [
            ParamSpec("path", .path, required: true, summary: "project-relative path of the .xlsx file"),
            ParamSpec("sheet", .either(.string, .int), default: .string(""), summary: "sheet name or 1-based position (default: the first)"),
            ParamSpec("range", .string, default: .string(""), summary: "an A1 area such as A2:F40 (default: every used cell)"),
            ParamSpec("skip_rows", .int, default: .int(0), summary: "rows to skip at the top of the area"),
            ParamSpec("header", .bool, default: .bool(true), summary: "whether the area's first row names the columns"),
            ParamSpec("schema", .map(.oneOf(DataType.allCases.map(\.rawValue))), default: .map([:]),
                      summary: "column → int64 | double | bool | string | category"),
        ],
        fileParams: ["path"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let path = context.string("path")!
        var options = XLSXReader.Options()
        options.sheet = context.params["sheet"].map { $0.stringValue ?? $0.intValue.map(String.init) ?? "" } ?? ""
        options.range = context.string("range")!
        options.skipRows = Int(context.int("skip_rows")!)
        options.csv.hasHeader = context.bool("header")!
        options.csv.schema = (context.params["schema"]?.mapValue ?? [:]).compactMapValues { $0.stringValue.flatMap(DataType.init(rawValue:)) }
        let table: Table, report: XLSXReport
        do {
            (table, report) = try XLSXReader.read(contentsOf: context.projectURL(path), displayPath: path, options: options)
        } catch let error as XLSXError {
            throw StageFailure(error.description)
        }
        if !report.mergedCells.isEmpty {
            context.report(.warning, "merged cells in the area read: \(report.mergedCells.joined(separator: ", ")) (only their first cell holds the value)")
        }
        if !report.errorCells.isEmpty { context.report(.note, "\(report.errorCells.count) error cell(s) read as missing: \(report.errorCells.prefix(5).joined(separator: ", "))") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return ["table": .bytes(BinaryTableFormat.data(table)), "report": .bytes(try encoder.encode(report))]
    }
}
