import Foundation
import PaperflowCore
import PaperflowData

/// `data.summarise`: one row per group with summaries of columns, as dplyr's `summarise` or
/// Stata's `collapse` — city means of a density, yearly means by region, a city's total trade.
public struct SummariseStage: Stage {
    public static let id = "data.summarise"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "One row per group (by columns) with sums, means, counts, minima and maxima of columns (dplyr's summarise).",
        documentation: """
            Each entry of columns is "name = function(column)" with function one of \
            \(AggregateFunction.allCases.map(\.rawValue).joined(separator: ", ")). Missing values
            are left out of every summary (a group with none present has a missing mean, minimum
            and maximum, a zero sum and count). Groups are in order of first appearance; with
            no by, the whole table is one group. The subset, if any, is applied first.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "by columns, then one column per summary")],
        params: [
            ParamSpec("by", .list(.string), default: .list([]), summary: "group columns"),
            ParamSpec("columns", .list(.string), required: true, summary: "\"name = function(column)\", e.g. \"mean_density = mean(density)\""),
            ParamSpec("subset", .string, default: .string(""), summary: "a condition: summarise the rows where it is true"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.subset(try context.table())
        let aggregations = try context.strings("columns").enumerated().map { index, entry -> Aggregation in
            let pattern = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*([a-z_]+)\(\s*([^()]+?)\s*\)\s*$/
            guard let match = entry.wholeMatch(of: pattern) else {
                throw StageFailure("columns[\(index + 1)] '\(entry)' is not \"name = function(column)\"; e.g. \"mean_density = mean(density)\"")
            }
            guard let function = AggregateFunction(rawValue: String(match.2)) else {
                throw StageFailure("columns[\(index + 1)] '\(entry)': unknown function '\(match.2)'"
                                   + NameSuggestion.didYouMean(String(match.2), in: AggregateFunction.allCases.map(\.rawValue))
                                   + "; choose from \(AggregateFunction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let column = String(match.3)
            guard table[column] != nil else {
                throw StageFailure("columns[\(index + 1)] '\(entry)': no column '\(column)'" + NameSuggestion.didYouMean(column, in: table.names))
            }
            return Aggregation(column, function, as: String(match.1))
        }
        let by = context.strings("by")
        for name in by where table[name] == nil {
            throw StageFailure("by: no column '\(name)'" + NameSuggestion.didYouMean(name, in: table.names))
        }
        // No by: the whole table is one group.
        let result = try table.grouped(by: by, aggregations)
        return ["table": result.artifact]
    }
}
