import Foundation
import PaperflowCore
import PaperflowData

/// `trade.harmonize-hs`: trade records from HS1996/2002/2012/2017/2022 (or HS2007 itself) to
/// HS2007 with the UNSD correlation tables, then truncated to 2, 4 or 6 digits.
///
/// A code with one HS2007 target moves whole; a code that splits is allocated equally or in
/// proportion to base-year trade weights. Rows that land on the same key are summed, so value is
/// conserved (up to dropped unknown codes, which the report counts). The report lists the value
/// moved by each rule, every split code met with its shares, and every code not in the table.
public struct HarmonizeHSStage: Stage {
    public static let id = "trade.harmonize-hs"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "HS codes of any vintage to HS2007 (UNSD tables; splits equal or by trade weights), truncated to 2/4/6 digits.",
        documentation: """
            from names the vintage of every row (HS1996, HS2002, HS2007, HS2012, HS2017, HS2022),
            or from_column names a column holding it per row ("HS2002", "2002" or Comtrade's
            "H2"). allocation: equal splits a 1:n or n:n code's value evenly over its HS2007
            targets; weights splits it by the weights input (product, value: base-year trade by
            HS2007 6-digit code), falling back to equal when its targets have no weight (reported).
            unknown: what happens to a code not in the table (an aggregate code such as 271000, a
            code of the wrong length): error (default) names the row, keep passes it through,
            drop removes it and counts the value. Every column other than the product, the value
            and the vintage is a key: rows with the same keys and harmonised code are summed.
            """,
        inputs: [PortSpec("records", kind: .table, summary: "product code (text), value, any key columns"),
                 PortSpec("weights", kind: .table, optional: true, summary: "product (HS2007 6-digit), value: allocation weights")],
        outputs: [PortSpec("records", kind: .table, fileName: "harmonized.pftable", summary: "key columns, product (HS2007), value"),
                  PortSpec("report", kind: .json, fileName: "harmonize.json", summary: "value moved by each rule; split and unknown codes")],
        params: [
            ParamSpec("product", .string, default: .string("product"), summary: "column: the HS code"),
            ParamSpec("value", .string, default: .string("value"), summary: "column: the trade value"),
            ParamSpec("from", .oneOf([""] + HSVintage.allCases.map(\.rawValue)), default: .string(""), summary: "vintage of every row"),
            ParamSpec("from_column", .string, default: .string(""), summary: "column: the vintage of each row (instead of from)"),
            ParamSpec("target", .oneOf(["HS2007"]), default: .string("HS2007"), summary: "the vintage to convert to"),
            ParamSpec("digits", .int, default: .int(6), summary: "truncate harmonised codes to 2, 4 or 6 digits"),
            ParamSpec("allocation", .oneOf(["equal", "weights"]), default: .string("equal"), summary: "how a split code's value is shared"),
            ParamSpec("unknown", .oneOf(["error", "keep", "drop"]), default: .string("error"), summary: "codes not in the table"),
            ProductCodes.padParam,
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table("records")
        let productName = context.string("product")!, valueName = context.string("value")!, fromColumn = context.string("from_column")!
        let digits = Int(context.int("digits")!)
        guard [2, 4, 6].contains(digits) else { throw StageFailure("digits is \(digits); use 2, 4 or 6") }
        let (codeColumn, padded) = try ProductCodes.text(try table.column(productName, for: "product"), named: productName,
                                                         rowCount: table.rowCount, pad: Int(context.int("pad_product")!))
        let values = try table.numbers(valueName, for: "value")
        if let row = values.firstIndex(where: { $0.isNaN || $0 < 0 }) {
            throw StageFailure("row \(row + 1): \(valueName) is \(values[row].isNaN ? "missing" : String(values[row])); trade values must be zero or positive")
        }
        let vintages = try Self.vintages(table, context: context)
        // Each vintage's table once, not a lookup per row.
        let tables = try Dictionary(uniqueKeysWithValues: Set(vintages).map { ($0, try HSConcordance.table($0)) })
        let allocator = Allocator(weights: context.string("allocation") == "weights" ? try Self.weights(context, productName: productName, valueName: valueName) : nil)
        let policy = context.string("unknown")!

        var ledger = Ledger()
        var sourceRows: [Int] = [], targetCodes: [Int32] = [], allocated: [Double] = []
        var targetIndex: [String: Int32] = [:], targets: [String] = []
        func emit(_ row: Int, _ code: String, _ value: Double) {
            let truncated = String(code.prefix(digits))
            let index = targetIndex[truncated] ?? {
                targets.append(truncated)
                targetIndex[truncated] = Int32(targets.count - 1)
                return Int32(targets.count - 1)
            }()
            sourceRows.append(row); targetCodes.append(index); allocated.append(value)
        }
        for row in 0..<table.rowCount {
            guard !codeColumn.isMissing(row) else { throw StageFailure("row \(row + 1) has no \(productName)") }
            let code = codeColumn[row].description, vintage = vintages[row], value = values[row]
            guard let mapping = tables[vintage]!.mappings[code] else {
                ledger.unknown(code, vintage: vintage, value: value)
                switch policy {
                case "keep": emit(row, code, value)
                case "drop": break
                default:
                    throw StageFailure("row \(row + 1): \(productName) \(code) is not a 6-digit \(vintage.rawValue) code in the UNSD table; "
                                       + "correct it, or set unknown: keep (pass it through) or unknown: drop (remove it; the report counts the value)")
                }
                continue
            }
            ledger.count(mapping.rule, value: value)
            if mapping.rule.splits {
                let shares = allocator.shares(mapping.targets)
                ledger.split(code, vintage: vintage, value: value, targets: mapping.targets, shares: shares)
                for (target, share) in zip(mapping.targets, shares.values) where share > 0 { emit(row, target, value * share) }
            } else {
                emit(row, mapping.targets[0], value)
            }
        }

        let keys = table.names.filter { $0 != productName && $0 != valueName && $0 != fromColumn }
        var expanded = try Table(keys.map { ($0, table[$0]!.take(sourceRows)) } + [
            (productName, Column(storage: .category(codes: targetCodes, dictionary: StringStorage(targets)))), (valueName, Column(double: allocated)),
        ])
        expanded = try expanded.grouped(by: keys + [productName], [Aggregation(valueName, .sum, as: valueName)])
        let output = try expanded.selecting(table.names.filter { $0 != fromColumn })
        let report = ledger.report(context: context, rowsIn: table.rowCount, rowsOut: output.rowCount,
                                   valueIn: values.reduce(0, +), valueOut: allocated.reduce(0, +), padded: padded)
        return ["records": output.artifact, "report": .bytes(Data(JSONText.pretty(report)))]
    }

    /// The vintage of every row, from `from` or `from_column` (exactly one of them).
    static func vintages(_ table: Table, context: StageContext) throws -> [HSVintage] {
        let from = context.string("from")!, fromColumn = context.string("from_column")!
        switch (from.isEmpty, fromColumn.isEmpty) {
        case (false, true):
            return Array(repeating: HSVintage(rawValue: from)!, count: table.rowCount)
        case (true, false):
            let (codes, levels) = try table.column(fromColumn, for: "from_column").levelCodes()
            let parsed = levels.map { HSVintage(label: $0.description) }
            return try codes.enumerated().map { row, code in
                guard code >= 0, let vintage = parsed[Int(code)] else {
                    throw StageFailure("row \(row + 1): \(fromColumn) is '\(code >= 0 ? levels[Int(code)].description : "")', not an HS vintage; "
                                       + "write one of \(HSVintage.allCases.map(\.rawValue).joined(separator: ", ")) (or 2002, H2)")
                }
                return vintage
            }
        default:
            throw StageFailure("set either from (the vintage of every row, e.g. from: HS2002) or from_column (a column naming each row's vintage), not \(from.isEmpty ? "neither" : "both")")
        }
    }

    /// Base-year weights by HS2007 6-digit code from the `weights` input, summed over its rows.
    static func weights(_ context: StageContext, productName: String, valueName: String) throws -> [String: Double] {
        guard context.inputs["weights"]?.isEmpty == false else {
            throw StageFailure("allocation: weights needs the weights input (product, value: base-year trade by HS2007 code); bind it under inputs:, or use allocation: equal")
        }
        let table = try context.table("weights")
        let (codes, _) = try ProductCodes.text(try table.column(productName, for: "product (in the weights table)"), named: productName,
                                               rowCount: table.rowCount, pad: Int(context.int("pad_product")!))
        let values = try table.numbers(valueName, for: "value (in the weights table)")
        var weights: [String: Double] = [:]
        for row in 0..<table.rowCount where !codes.isMissing(row) {
            guard values[row].isNaN || values[row] >= 0 else { throw StageFailure("weights row \(row + 1): \(valueName) is negative; weights must be zero or positive") }
            if !values[row].isNaN { weights[codes[row].description, default: 0] += values[row] }
        }
        return weights
    }
}

/// Shares of a split code's value over its targets.
private struct Allocator {
    var weights: [String: Double]?

    /// Equal shares, or shares proportional to the targets' weights (equal when they sum to 0).
    func shares(_ targets: [String]) -> (values: [Double], byWeight: Bool) {
        let equal = [Double](repeating: 1 / Double(targets.count), count: targets.count)
        guard let weights else { return (equal, false) }
        let w = targets.map { weights[$0] ?? 0 }, total = w.reduce(0, +)
        return total > 0 ? (w.map { $0 / total }, true) : (equal, false)
    }
}

/// What harmonisation did, for the report.
private struct Ledger {
    var rules: [HSRule: (rows: Int, value: Double)] = [:]
    var unknowns: [String: (vintage: HSVintage, rows: Int, value: Double)] = [:]
    var splits: [String: (vintage: HSVintage, rows: Int, value: Double, targets: [String], shares: [Double], byWeight: Bool)] = [:]

    mutating func count(_ rule: HSRule, value: Double) {
        rules[rule, default: (0, 0)].rows += 1
        rules[rule, default: (0, 0)].value += value
    }

    mutating func unknown(_ code: String, vintage: HSVintage, value: Double) {
        count(.unknown, value: value)
        let key = "\(vintage.rawValue) \(code)"
        unknowns[key, default: (vintage, 0, 0)].rows += 1
        unknowns[key, default: (vintage, 0, 0)].value += value
    }

    mutating func split(_ code: String, vintage: HSVintage, value: Double, targets: [String], shares: (values: [Double], byWeight: Bool)) {
        let key = "\(vintage.rawValue) \(code)"
        splits[key, default: (vintage, 0, 0, targets, shares.values, shares.byWeight)].rows += 1
        splits[key, default: (vintage, 0, 0, targets, shares.values, shares.byWeight)].value += value
    }

    func report(context: StageContext, rowsIn: Int, rowsOut: Int, valueIn: Double, valueOut: Double, padded: Int) -> ParamValue {
        func code(_ key: String) -> ParamValue { .string(String(key.split(separator: " ")[1])) }
        let byValue: (String, String, Double, Double) -> Bool = { $2 != $3 ? $2 > $3 : $0 < $1 }
        return .map([
            "from": .string(context.string("from")!.isEmpty ? "column \(context.string("from_column")!)" : context.string("from")!),
            "target": .string(context.string("target")!), "digits": .int(context.int("digits")!),
            "allocation": .string(context.string("allocation")!), "unknown_policy": .string(context.string("unknown")!),
            "rows_in": .int(Int64(rowsIn)), "rows_out": .int(Int64(rowsOut)), "value_in": .double(valueIn), "value_out": .double(valueOut),
            "product_codes_padded": .int(Int64(padded)),
            "rules": .list(HSRule.allCases.compactMap { rule in
                rules[rule].map { .map(["rule": .string(rule.rawValue), "rows": .int(Int64($0.rows)), "value": .double($0.value)]) }
            }),
            "splits": .list(splits.sorted { byValue($0.key, $1.key, $0.value.value, $1.value.value) }.map { key, split in
                .map(["vintage": .string(split.vintage.rawValue), "code": code(key), "rows": .int(Int64(split.rows)), "value": .double(split.value),
                      "by": .string(split.byWeight ? "weights" : "equal"),
                      "shares": .map(Dictionary(uniqueKeysWithValues: zip(split.targets, split.shares.map { ParamValue.double($0) })))])
            }),
            "unknown_codes": .list(unknowns.sorted { byValue($0.key, $1.key, $0.value.value, $1.value.value) }.map { key, unknown in
                .map(["vintage": .string(unknown.vintage.rawValue), "code": code(key), "rows": .int(Int64(unknown.rows)), "value": .double(unknown.value)])
            }),
        ])
    }
}
