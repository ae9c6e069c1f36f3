import Foundation
import PaperflowCore
import PaperflowData

/// `io.parquet`: reads a Parquet file (pyarrow, polars, DuckDB, Spark) into a table artifact,
/// with a report of each column's Parquet types and encodings and of the row groups read.
public struct ParquetStage: Stage {
    public static let id = "io.parquet"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Reads a Parquet file into a table: any codec pyarrow, polars or DuckDB write, column selection, a filter pushed to row groups.",
        documentation: """
            Flat schemas (a list, map or struct column is refused, named). int8–int64 and unsigned
            integers are int64 (a UINT64 above 2^63 − 1 makes its column double), float and double
            are double (NaN is missing, counted), DECIMAL is double, boolean is bool, text is
            text — a category where the writer dictionary-encoded every page (categories: false
            keeps text). DATE, TIME and TIMESTAMP (and legacy INT96) are ISO 8601 text, or with
            dates: number the stored days or units since 1970. Codecs: uncompressed, snappy,
            gzip, zstd (LZ4, LZO and Brotli are refused with the column named). columns: reads
            only those columns, in that order; filter: keeps the rows where the expression is
            true, and row groups whose min/max statistics rule it out are not read at all.
            """,
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the table"),
                  PortSpec("report", kind: .json, fileName: "report.json", summary: "writer, row groups read, and per column: Parquet types, encodings, missing")],
        params: [
            ParamSpec("path", .path, required: true, summary: "project-relative path of the .parquet file"),
            ParamSpec("columns", .list(.string), default: .list([]), summary: "columns to read, in order (default: all)"),
            ParamSpec("filter", .string, default: .string(""), summary: "keep rows where this expression is true; row groups it rules out are skipped"),
            ParamSpec("categories", .bool, default: .bool(true), summary: "read dictionary-encoded text as categories"),
            ParamSpec("dates", .oneOf(["text", "number"]), default: .string("text"), summary: "DATE/TIME/TIMESTAMP as ISO 8601 text or the stored numbers"),
        ],
        fileParams: ["path"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let path = context.string("path")!
        var options = ParquetOptions()
        let columns = context.params["columns"]?.listValue?.compactMap(\.stringValue) ?? []
        options.columns = columns.isEmpty ? nil : columns
        let filter = context.string("filter") ?? ""
        options.filter = filter.isEmpty ? nil : filter
        options.categories = context.bool("categories")!
        options.datesAsText = context.string("dates") == "text"
        let table: Table, report: ParquetReport
        do {
            (table, report) = try ParquetReader.read(contentsOf: context.projectURL(path), displayPath: path, options: options)
        } catch let error as ParquetError {
            throw StageFailure(error.description)
        }
        for column in report.columns {
            if let nan = column.nanAsMissing { context.report(.note, "\(column.name): \(nan) NaN value(s) read as missing") }
            if let note = column.note { context.report(.note, "\(column.name): \(note)") }
        }
        if report.rowGroupsRead < report.rowGroups {
            context.report(.note, "filter skipped \(report.rowGroups - report.rowGroupsRead) of \(report.rowGroups) row groups by their statistics")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return ["table": .bytes(BinaryTableFormat.data(table)), "report": .bytes(try encoder.encode(report))]
    }
}
