import Foundation
import PaperflowCore
import PaperflowData

/// `trade.aggregate`: trade records summed to unit × product × year at the chosen level — firm,
/// city, province or country is whichever column `unit` names — with product codes optionally
/// truncated (HS6 to HS4) and a condition (`subset: flow == 'export'`).
public struct AggregateTradeStage: Stage {
    public static let id = "trade.aggregate"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Sum trade records to unit × product × year (firm, city, province or country), codes optionally truncated.",
        documentation: """
            Keys are [year,] unit, the by columns, and the product code cut to digits characters
            (0 keeps it whole). records counts the rows summed. Rows failing subset are left out
            first. Missing values are an error naming the row.
            """,
        inputs: [PortSpec("records", kind: .table, summary: "unit, product, value[, year], ...")],
        outputs: [PortSpec("table", kind: .table, fileName: "aggregate.pftable", summary: "[year,] unit, by..., product, value, records")],
        params: [
            ParamSpec("unit", .string, default: .string("firm"), summary: "column: the level to sum to (firm, city, province, country)"),
            ParamSpec("product", .string, default: .string("product"), summary: "column: the product code"),
            ParamSpec("value", .string, default: .string("value"), summary: "column: the value summed"),
            ParamSpec("year", .string, default: .string(""), summary: "column: the year (\"\": none)"),
            ParamSpec("by", .list(.string), default: .list([]), summary: "further key columns (e.g. flow)"),
            ParamSpec("digits", .int, default: .int(0), summary: "truncate product codes to this many characters (0: keep)"),
            ParamSpec("subset", .string, default: .string(""), summary: "keep only rows where this condition holds"),
            ProductCodes.padParam,
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.subset(try context.table("records"))
        let productName = context.string("product")!, valueName = context.string("value")!
        let year = context.string("year")!
        let keys = (year.isEmpty ? [] : [year]) + [context.string("unit")!] + context.strings("by")
        for (key, parameter) in zip(keys, (year.isEmpty ? [] : ["year"]) + ["unit"] + Array(repeating: "by", count: context.strings("by").count)) {
            _ = try table.column(key, for: parameter)
        }
        let values = try table.numbers(valueName, for: "value")
        if let row = values.firstIndex(where: \.isNaN) { throw StageFailure("row \(row + 1) has no \(valueName); fill it in (0 for no trade) or filter the row out") }
        var (codes, _) = try ProductCodes.text(try table.column(productName, for: "product"), named: productName, rowCount: table.rowCount,
                                               pad: Int(context.int("pad_product")!))
        let digits = Int(context.int("digits")!)
        if digits > 0 {
            // Distinct codes cut to distinct prefixes: a category with one entry per prefix, so
            // 851712 and 851761 group together as 8517.
            let (codeIndex, levels) = codes.levelCodes()
            var prefixes: [String] = [], prefixIndex: [String: Int32] = [:]
            let remap = levels.map { level -> Int32 in
                let prefix = String(level.description.prefix(digits))
                if let index = prefixIndex[prefix] { return index }
                prefixes.append(prefix)
                prefixIndex[prefix] = Int32(prefixes.count - 1)
                return Int32(prefixes.count - 1)
            }
            if let row = codeIndex.firstIndex(where: { $0 < 0 }) { throw StageFailure("row \(row + 1) has no \(productName)") }
            codes = Column(storage: .category(codes: codeIndex.map { remap[Int($0)] }, dictionary: StringStorage(prefixes)))
        }
        let keyed = try Table(keys.map { ($0, table[$0]!) } + [(productName, codes), (valueName, Column(double: values))])
        let summed = try keyed.grouped(by: keys + [productName], [Aggregation(valueName, .sum, as: valueName), Aggregation(valueName, .count, as: "records")])
        return ["table": summed.artifact]
    }
}
