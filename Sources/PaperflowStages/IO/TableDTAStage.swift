import Foundation
import PaperflowCore
import PaperflowData

/// `io.table-dta`: writes a table artifact as a Stata .dta file (format 118, Stata 14–18), in the
/// form `io.dta` reads back unchanged; export it with `io.export` for co-authors in Stata.
public struct TableDTAStage: Stage {
    public static let id = "io.table-dta"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Writes a table as a Stata .dta file (format 118): categories as value labels, missing as '.'.",
        documentation: """
            int64 becomes long (double beyond long's range), double double, bool byte, text strN
            (strL past 2,045 bytes), a category long codes with a value label of the column's
            name. Missing numbers are '.'; a missing text is written empty (Stata has no missing
            string), noted. A column name Stata cannot take is an error saying to rename it. No
            timestamp is written, so the same table gives the same bytes.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the table")],
        outputs: [PortSpec("dta", kind: .any, fileName: "table.dta", summary: "the Stata file")],
        params: [ParamSpec("label", .string, default: .string(""), summary: "the dataset label (at most 80 bytes)")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        do {
            let (data, notes) = try DTAWriter.data(table, label: context.string("label")!)
            for line in notes.lines { context.report(.note, line) }
            return ["dta": .bytes(data)]
        } catch let error as DTAError {
            throw StageFailure(error.message)
        }
    }
}
