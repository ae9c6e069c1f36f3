import Foundation
import PaperflowCore
import PaperflowData

/// `data.quantile-groups`: labels each row by where a value falls among quantiles — liu-zhu-2021's
/// low / middle / high marketization, cut at the 25% and 50% quantiles of the city-level share.
///
/// Conventions follow R: quantiles of type 7 (R's default, numpy's linear), intervals closed on
/// the right with the lowest included — `cut(x, c(-Inf, q, Inf))` — so a value equal to a cut
/// point falls in the lower group. With `unit`, each unit's value counts once (quantiles of
/// cities, not of firm rows); with `within`, each group (e.g. year) has its own cut points.
public struct QuantileGroupsStage: Stage {
    public static let id = "data.quantile-groups"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Label rows by the quantile interval of a value (e.g. low / middle / high at the 25% and 50% quantiles).",
        documentation: """
            Quantiles are R's type 7. A value equal to a cut point goes to the lower group, as
            R's cut(). Rows with a missing value get a missing label. With unit, the value must
            be the same on every row of a unit (an error names the unit otherwise).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: [PortSpec("table", kind: .table, fileName: "table.pftable", summary: "the rows with the group column"),
                  PortSpec("cuts", kind: .json, fileName: "cuts.json", summary: "the cut points of each group")],
        params: [
            ParamSpec("column", .string, required: true, summary: "the value to cut"),
            ParamSpec("probabilities", .list(.double), default: .list([.double(0.25), .double(0.5)]), summary: "cut points, ascending in (0, 1)"),
            ParamSpec("labels", .list(.string), default: .list([.string("low"), .string("middle"), .string("high")]),
                      summary: "one label per interval (one more than the probabilities)"),
            ParamSpec("name", .string, default: .string(""), summary: "the new column (default: <column>_group)"),
            ParamSpec("unit", .string, default: .string(""), summary: "count each unit's value once (e.g. city)"),
            ParamSpec("within", .list(.string), default: .list([]), summary: "separate cut points per group (e.g. year)"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        let name = context.string("column")!
        guard let values = try table.column(name, for: "column").numericValues() else {
            throw StageFailure("column '\(name)' is text; quantile groups need numbers")
        }
        let probabilities = context.params["probabilities"]!.listValue!.compactMap(\.doubleValue)
        let labels = context.strings("labels")
        guard !probabilities.isEmpty, probabilities.allSatisfy({ $0 > 0 && $0 < 1 }), probabilities == probabilities.sorted(),
              Set(probabilities).count == probabilities.count else {
            throw StageFailure("probabilities must rise strictly within (0, 1); they are \(probabilities)")
        }
        guard labels.count == probabilities.count + 1 else {
            throw StageFailure("labels has \(labels.count) entries; \(probabilities.count) cut points make \(probabilities.count + 1) groups")
        }
        let unitName = context.string("unit")!
        let units = unitName.isEmpty ? nil : try table.column(unitName, for: "unit")
        let within = try context.strings("within").map { try table.column($0, for: "within").levelCodes() }
        // Rows by group of the `within` columns, groups in order of first appearance.
        var groupRows: [[Int32]: [Int]] = [:], groupOrder: [[Int32]] = []
        for row in 0..<table.rowCount {
            let key = within.map { $0.codes[row] }
            if groupRows[key] == nil { groupOrder.append(key) }
            groupRows[key, default: []].append(row)
        }
        var labelled = [String?](repeating: nil, count: table.rowCount)
        var cuts: [ParamValue] = []
        for key in groupOrder {
            let rows = groupRows[key]!
            var sample: [Double] = []
            if let units {
                var seen: [Value: (value: Double, row: Int)] = [:]
                for row in rows where !values[row].isNaN && !units.isMissing(row) {
                    if let first = seen[units[row]] {
                        guard first.value == values[row] else {
                            throw StageFailure("unit \(unitName) = \(units[row]) has \(name) \(first.value) in row \(first.row + 1) and \(values[row]) in row \(row + 1); with unit, the value must be the unit's own")
                        }
                    } else {
                        seen[units[row]] = (values[row], row)
                    }
                }
                sample = seen.values.map(\.value)
            } else {
                sample = rows.map { values[$0] }.filter { !$0.isNaN }
            }
            sample.sort()
            guard !sample.isEmpty else { continue }
            let points = probabilities.map { Quantiles.type7(sorted: sample, $0) }
            for row in rows where !values[row].isNaN {
                labelled[row] = labels[points.firstIndex { values[row] <= $0 } ?? points.count]
            }
            var entry: [String: ParamValue] = ["cuts": .list(points.map(ParamValue.double)), "count": .int(Int64(sample.count))]
            for (column, codes) in zip(context.strings("within"), zip(within, key)) {
                entry[column] = codes.1 < 0 ? .null : .string(codes.0.levels[Int(codes.1)].description)
            }
            cuts.append(.map(entry))
        }
        let output = context.string("name")!.isEmpty ? name + "_group" : context.string("name")!
        let result = try table.adding(output, Column(category: labelled))
        let document: ParamValue = .map(["column": .string(name), "probabilities": .list(probabilities.map(ParamValue.double)),
                                         "labels": .list(labels.map(ParamValue.string)), "unit": .string(unitName), "groups": .list(cuts)])
        return ["table": result.artifact, "cuts": .bytes(Data(JSONText.pretty(document)))]
    }
}
