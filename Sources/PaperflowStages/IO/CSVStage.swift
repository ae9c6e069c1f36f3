import Foundation
import PaperflowCore
import PaperflowData

/// `io.csv`: reads a CSV file of the project into a table artifact (Paperflow's binary table
/// format), with a parse report.
///
/// Types are inferred (a leading zero keeps a column as text, so HS codes and firm ids survive;
/// text that repeats its values becomes a dictionary-encoded category) unless declared under
/// `schema`. Large files are read on every core; the table is the same as one pass would give. A malformed row stops the stage with the file, line and
/// column, or with `bad_rows: skip` is left out and counted in the report.
public struct CSVStage: Stage {
    public static let id = "io.csv"
    /// 2: text columns that repeat their values are read as categories.
    public static let version = 2
    public static let signature = StageSignature(
        summary: "Reads a CSV file into a table (types inferred or declared; codes keep their leading zeros).",
        documentation: """
            RFC 4180 quoting, embedded newlines, a UTF-8 byte-order mark, any one-byte delimiter.
            Unquoted fields equal to a missing token are missing; quoted fields are always text.
            The report (JSON) gives the row count, each column's type, skipped rows with examples.
            """,
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the table"),
                  PortSpec("report", kind: .json, fileName: "report.json", summary: "rows, types, skipped rows")],
        params: [
            ParamSpec("path", .path, required: true, summary: "project-relative path of the CSV file"),
            ParamSpec("schema", .map(.oneOf(DataType.allCases.map(\.rawValue))), default: .map([:]),
                      summary: "column → int64 | double | bool | string | category"),
            ParamSpec("delimiter", .string, default: .string(","), summary: "the field separator (one character)"),
            ParamSpec("header", .bool, default: .bool(true), summary: "whether the first row names the columns"),
            ParamSpec("missing", .list(.string), default: .list(CSVOptions().missingTokens.sorted().map(ParamValue.string)),
                      summary: "unquoted tokens read as missing"),
            ParamSpec("bad_rows", .oneOf(["error", "skip"]), default: .string("error"), summary: "malformed rows: stop or leave out"),
            ParamSpec("infer_rows", .int, default: .int(10_000), summary: "rows sampled to infer types"),
            ParamSpec("categories", .bool, default: .bool(true),
                      summary: "read undeclared text columns that repeat their values (cities, codes) as categories"),
        ],
        fileParams: ["path"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let path = context.string("path")!
        var options = CSVOptions()
        let delimiter = Array(context.string("delimiter")!.utf8)
        guard delimiter.count == 1 else {
            throw StageFailure("delimiter '\(context.string("delimiter")!)' must be a single one-byte character, e.g. ',' or ';'")
        }
        options.delimiter = delimiter[0]
        options.hasHeader = context.bool("header")!
        options.missingTokens = Set(context.params["missing"]?.listValue?.compactMap(\.stringValue) ?? [])
        options.schema = (context.params["schema"]?.mapValue ?? [:]).compactMapValues { $0.stringValue.flatMap(DataType.init(rawValue:)) }
        options.badRows = context.string("bad_rows") == "skip" ? .skip : .error
        options.inferenceRows = Int(context.int("infer_rows")!)
        options.inferCategories = context.bool("categories")!
        let table: Table, report: CSVReport
        do {
            (table, report) = try CSVReader.read(contentsOf: context.projectURL(path), displayPath: path, options: options)
        } catch let error as CSVError {
            throw StageFailure(error.description)
        }
        for name in options.schema.keys where table[name] == nil {
            throw StageFailure("schema names column '\(name)', which \(path) does not have; its columns are \(table.names.joined(separator: ", "))")
        }
        var reportFields: [String: ParamValue] = [
            "file": .string(path), "rows": .int(Int64(report.rows)), "skipped_rows": .int(Int64(report.skippedRows)),
            "skipped_examples": .list(report.skippedExamples.map(ParamValue.string)),
            "types": .map(report.types.mapValues { .string($0.rawValue) }),
            "declared": .list(options.schema.keys.sorted().map(ParamValue.string)),
            "rereads": .int(Int64(report.rereads)),
        ]
        if !report.renamedColumns.isEmpty { reportFields["renamed_columns"] = .list(report.renamedColumns.map(ParamValue.string)) }
        let reportJSON: ParamValue = .map(reportFields)
        for renamed in report.renamedColumns { context.report(.warning, "column named \(renamed)") }
        if report.skippedRows > 0 {
            context.report(.warning, "\(report.skippedRows) bad rows left out (bad_rows: skip), first: \(report.skippedExamples.first ?? "")")
        }
        return ["table": .bytes(BinaryTableFormat.data(table)), "report": .bytes(Data(JSONText.pretty(reportJSON)))]
    }
}

/// `io.table-csv`: writes a table artifact as CSV, in the form `io.csv` reads back unchanged.
public struct TableCSVStage: Stage {
    public static let id = "io.table-csv"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Writes a table as CSV (shortest round-trip numbers; strings quoted where needed).",
        inputs: [PortSpec("table", kind: .table, summary: "the table")],
        outputs: [PortSpec("csv", kind: .text, fileName: "table.csv", summary: "the CSV text")],
        params: [ParamSpec("delimiter", .string, default: .string(","), summary: "the field separator (one character)")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let delimiter = Array(context.string("delimiter")!.utf8)
        guard delimiter.count == 1 else { throw StageFailure("delimiter must be a single one-byte character") }
        let url = try context.input("table").url
        let table: Table
        do {
            table = try BinaryTableFormat.read(contentsOf: url)
        } catch {
            throw StageFailure("input 'table' is not a table artifact: \(error)")
        }
        return ["csv": .bytes(Data(CSVWriter.write(table, delimiter: delimiter[0])))]
    }
}
