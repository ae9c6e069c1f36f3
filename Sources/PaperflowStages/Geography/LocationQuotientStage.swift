import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `geo.location-quotient`: LQ_ri = (x_ri / x_r) / (x_i / x) of every region × industry, zero cells
/// included, and specialisation by the threshold — EconGeo's `location.quotient(mat)` and
/// `location.quotient(mat, binary = TRUE)`, matched to 1e-9 on its tiny fixtures. The formula is
/// Balassa's RCA; this stage lists the full matrix, as regional studies of employment expect.
public struct LocationQuotientStage: Stage {
    public static let id = "geo.location-quotient"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Location quotients of every region × industry (zeros included) and specialisation (LQ ≥ 1 or > 1), per year.",
        documentation: """
            The unit column is the region, the product column the industry, the value
            employment or exports. Regions and industries without any value have no LQ (EconGeo
            writes 0 or NA); they are left out and reported.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "region, industry, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "lq.pftable", summary: "[year,] region, industry, value, lq, specialised"),
                  PortSpec("report", kind: .json, fileName: "lq.json", summary: "regions and industries without value")],
        params: TradeInput.params + TradeInput.thresholdParams
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let threshold = TradeInput.threshold(context)
        var years: [Value?] = [], units: [Int32] = [], products: [Int32] = [], values: [Double] = [], quotients: [Double] = [], specialised: [Bool] = []
        var empty: [ParamValue] = []
        for slice in input.slices {
            let matrix = slice.matrix, lq = matrix.rca()
            let unitTotals = matrix.unitTotals, productTotals = matrix.productTotals
            for unit in 0..<matrix.unitCount where unitTotals[unit] > 0 {
                var cell = matrix.rowStarts[unit]
                for product in 0..<matrix.productCount where productTotals[product] > 0 {
                    var value = 0.0, quotient = 0.0
                    if cell < matrix.rowStarts[unit + 1] && Int(matrix.products[cell]) == product {
                        value = matrix.values[cell]; quotient = lq[cell]; cell += 1
                    }
                    years.append(slice.year); units.append(Int32(unit)); products.append(Int32(product))
                    values.append(value); quotients.append(quotient); specialised.append(threshold.holds(quotient))
                }
            }
            empty.append(input.withoutValue(slice))
        }
        let table = try Table(input.yearColumn(years) + [
            (input.unitColumn, TradeInput.category(units, input.units)), (input.productColumn, TradeInput.category(products, input.products)),
            ("value", Column(double: values)), ("lq", Column(double: quotients)), ("specialised", Column(bool: specialised)),
        ])
        return ["table": table.artifact, "report": .bytes(Data(JSONText.pretty(.map(["years": .list(empty)]))))]
    }
}
