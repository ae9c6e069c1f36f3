import Foundation
import PaperflowCore
import PaperflowData

/// `data.join`: the columns of a second table added to each row of the first by equal keys, as
/// dplyr's `left_join` / `inner_join` or Stata's `merge m:1`. This is how a workflow puts
/// variables computed by different stages (densities, firm totals, city groups) side by side in
/// one estimation sample.
public struct JoinStage: Stage {
    public static let id = "data.join"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Add the columns of a second table to each row of the first by equal keys (left or inner join).",
        documentation: """
            Keys must have the same names on both sides (rename with data.derive first). Whole
            numbers match whether stored as integers or as decimals (a year shifted by data.derive
            is a decimal). Missing keys never match. kind: left keeps every row of the table
            (the new columns missing where nothing matches), inner only the rows with a match.
            unique (default true): a key repeated in the right table is an error naming it, so a
            join cannot silently multiply rows. columns picks the right table's columns to add
            (default: all but the keys); a name the table already has gets the suffix _right.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows"),
                 PortSpec("right", kind: .table, summary: "the columns to add, by key")],
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the rows with the right table's columns")],
        params: [
            ParamSpec("on", .list(.string), required: true, summary: "key columns (same names in both tables)"),
            ParamSpec("kind", .oneOf(["left", "inner"]), default: .string("left"), summary: "which rows to keep"),
            ParamSpec("columns", .list(.string), default: .list([]), summary: "right table columns to add (default: all but the keys)"),
            ParamSpec("unique", .bool, default: .bool(true), summary: "refuse a key repeated in the right table"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        var left = try context.table("table"), right = try context.table("right")
        let keys = context.strings("on")
        guard !keys.isEmpty else { throw StageFailure("on is empty; name the key columns, e.g. on: [firm, year]") }
        for key in keys {
            // The key columns' types are read into plain values before either table is
            // replaced: a switch over the borrowed columns while `left` was reassigned inside it
            // crashed the optimiser (CopyPropagation, "Found ownership error") in release builds.
            guard let leftType = left[key]?.type else {
                throw StageFailure("on: the table has no column '\(key)'; it has \(left.names.joined(separator: ", "))")
            }
            guard let rightType = right[key]?.type else {
                throw StageFailure("on: the right table has no column '\(key)'; it has \(right.names.joined(separator: ", "))")
            }
            // Whole numbers match across integer and decimal storage.
            if leftType == .int64, rightType == .double {
                let widened = Column(double: try left.numbers(key, for: "on"), nanAsMissing: true)
                left = try left.adding(key, widened)
            } else if leftType == .double, rightType == .int64 {
                let widened = Column(double: try right.numbers(key, for: "on"), nanAsMissing: true)
                right = try right.adding(key, widened)
            }
        }
        let wanted = context.strings("columns")
        for name in wanted where right[name] == nil {
            throw StageFailure("columns: the right table has no column '\(name)'; it has \(right.names.joined(separator: ", "))")
        }
        right = try right.selecting(keys + (wanted.isEmpty ? right.names.filter { !keys.contains($0) } : wanted.filter { !keys.contains($0) }))
        if context.bool("unique")!, let rows = try right.rowsOfFirstRepeatedKey(keys) {
            let key = try keys.map { try right.column($0)[rows[0]] }
            throw StageFailure("the right table has the key (\(zip(keys, key).map { "\($0) = \($1)" }.joined(separator: ", "))) twice (rows with it: "
                               + "\(rows.prefix(5).map { String($0 + 1) }.joined(separator: ", ")))"
                               + "; aggregate it first (data.summarise) or set unique: false")
        }
        let joined = try left.joined(with: right, on: keys, kind: context.string("kind") == "inner" ? .inner : .left)
        return ["table": joined.artifact]
    }
}
