import Foundation
import PaperflowCore
import PaperflowData

/// `data.derive`: new columns from expressions, in order (a later one may use an earlier one),
/// as Stata's `generate` or dplyr's `mutate`; optionally keeping only the rows a condition selects.
public struct DeriveStage: Stage {
    public static let id = "data.derive"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Add columns computed from expressions (logs, interactions, standardisation), optionally keeping a subset of rows.",
        documentation: """
            Each entry of columns is "name = expression"; an existing column of that name is
            replaced. Expressions: + - * / ^, comparisons, & | !, and the functions \
            \(Expression.functions.keys.sorted().joined(separator: ", ")). Numbers give a
            Double column (a division by zero is missing), conditions a Bool column, text a
            category column. The subset, if any, is applied after the columns are derived.

            With by: (the unit columns) and order: (the time column), l(x, k), f(x, k) and d(x)
            look k periods back or ahead within the unit by time value — a gap gives a missing
            value, never the previous row's — as a model formula's panel operators do; mean(),
            sum(), rank() and cumsum() work within each unit (the whole table without by:).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the rows with the new columns")],
        params: [
            ParamSpec("columns", .list(.string), default: .list([]), summary: "\"name = expression\", in order"),
            ParamSpec("subset", .string, default: .string(""), summary: "a condition: keep the rows where it is true"),
            ParamSpec("by", .list(.string), default: .list([]), summary: "the columns whose values form the groups of l(), f(), d(), mean(), sum(), rank(), cumsum() (e.g. [firm] or [city, product])"),
            ParamSpec("order", .string, default: .string(""), summary: "the numeric time column l(), f() and d() step along, and cumsum() runs along (e.g. year)"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        var table = try context.table()
        let by = context.strings("by"), order = context.string("order")!
        var groups: ExpressionGroups?
        for (index, entry) in context.strings("columns").enumerated() {
            guard let equals = entry.firstIndex(of: "="), entry[entry.index(after: equals)...].first != "=" else {
                throw StageFailure("columns[\(index + 1)] '\(entry)' is not \"name = expression\"; e.g. \"ln_value = log(value)\"")
            }
            let name = entry[..<equals].trimmingCharacters(in: .whitespaces)
            let source = String(entry[entry.index(after: equals)...])
            guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
                throw StageFailure("columns[\(index + 1)] '\(entry)': the name before '=' must be one word")
            }
            do {
                // The groups, made again when an entry has rewritten a by or order column.
                if groups == nil { groups = try ExpressionGroups(table: table, by: by, order: order.isEmpty ? nil : order) }
                table = try table.adding(name, try Expression(source).evaluate(on: table, groups: groups))
                if by.contains(name) || name == order { groups = nil }
            } catch let error as ExpressionError {
                // Positions count from the start of the entry, where the user's eye is.
                var shifted = error
                shifted.position = error.position.map { $0 + entry.distance(from: entry.startIndex, to: equals) + 1 }
                throw StageFailure("columns[\(index + 1)] '\(entry)': \(shifted)")
            }
        }
        return ["table": try context.subset(table).artifact]
    }
}
