import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `complexity.prody-expy`: Hausmann–Hwang–Rodrik productivity levels, unrounded as
/// economiccomplexity's `productivity_levels()` (matched to 1e-9 on the world data).
public struct ProductivityStage: Stage {
    public static let id = "complexity.prody-expy"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "PRODY per product and EXPY per unit (Hausmann, Hwang & Rodrik 2007), per year.",
        documentation: """
            income: a table of unit and GDP per capita (columns named by unit and income_value).
            Units without an income are left out of PRODY and get no EXPY (reported), as
            economiccomplexity keeps the units present in both tables. With a year column in
            the trade table, the income table may have one too (matched by year) or not (the
            same income every year).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]"),
                 PortSpec("income", kind: .table, summary: "unit, GDP per capita[, year]")],
        outputs: [PortSpec("products", kind: .table, fileName: "prody.pftable", summary: "[year,] product, prody"),
                  PortSpec("units", kind: .table, fileName: "expy.pftable", summary: "[year,] unit, expy"),
                  PortSpec("report", kind: .json, fileName: "productivity.json", summary: "units left out for want of an income")],
        params: TradeInput.params + [ParamSpec("income_value", .string, default: .string("value"), summary: "income table column: GDP per capita")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let incomeTable = try context.table("income")
        let unitColumn = try incomeTable.column(input.unitColumn, for: "unit (in the income table)")
        guard let incomes = try incomeTable.column(context.string("income_value")!, for: "income_value").numericValues() else {
            throw StageFailure("income_value names a text column of the income table; it must hold numbers")
        }
        let incomeYears = input.yearColumn.flatMap { incomeTable[$0] }
        var productYears: [Value?] = [], productCodes: [Int32] = [], prodys: [Double?] = []
        var unitYears: [Value?] = [], unitCodes: [Int32] = [], expys: [Double?] = []
        var leftOut: [ParamValue] = []
        for slice in input.slices {
            var byUnit: [String: Double] = [:]
            for row in 0..<incomeTable.rowCount where !incomes[row].isNaN && !unitColumn.isMissing(row) {
                if let incomeYears, let year = slice.year, !incomeYears[row].matches(year) { continue }
                byUnit[unitColumn[row].description] = incomes[row]
            }
            let income = input.units.map { byUnit[$0] }
            let levels = Productivity(slice.matrix, income: income)
            for product in 0..<slice.matrix.productCount {
                productYears.append(slice.year); productCodes.append(Int32(product)); prodys.append(levels.prody[product])
            }
            let totals = slice.matrix.unitTotals
            for unit in 0..<slice.matrix.unitCount where totals[unit] > 0 {
                unitYears.append(slice.year); unitCodes.append(Int32(unit)); expys.append(levels.expy[unit])
            }
            leftOut.append(.map(["year": slice.year.map { .string($0.description) } ?? .null,
                                 "units_without_income": .list(input.units.indices.filter { income[$0] == nil && totals[$0] > 0 }.map { .string(input.units[$0]) })]))
        }
        let products = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(productCodes, input.products)),
                                                                   ("prody", Column(double: prodys))])
        let units = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(unitCodes, input.units)), ("expy", Column(double: expys))])
        return ["products": products.artifact, "units": units.artifact,
                "report": .bytes(Data(JSONText.pretty(.map(["years": .list(leftOut)]))))]
    }
}
