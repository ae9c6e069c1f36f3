import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `relatedness.rca`: Balassa's revealed comparative advantage of every unit–product cell with a
/// value, and presence by the threshold — ecomplexity's and economiccomplexity's `rca` / `mcp`
/// (matched to 1e-9 on the shared fixtures, ties at exactly 1 included).
public struct RCAStage: Stage {
    public static let id = "relatedness.rca"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Balassa RCA and presence (RCA ≥ 1 by default, or > 1) of every unit × product cell with a value, per year.",
        documentation: """
            RCA_up = (x_up / Σ_p x_up) / (Σ_u x_up / Σ_up x_up) (Balassa 1965). Cells without a
            value have RCA 0 and are not listed. A unit or product with no value at all has no
            RCA (ecomplexity leaves it NaN; economiccomplexity 2.0's 0/0 → 1 is not copied); the
            report lists them. Product codes must be text; pad_product zero-pads numeric ones
            and reports how many.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "rca.pftable", summary: "[year,] unit, product, value, rca, presence"),
                  PortSpec("report", kind: .json, fileName: "rca.json", summary: "units and products without value; padded codes")],
        params: TradeInput.params + TradeInput.thresholdParams
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        // Columns built from the matrices' own arrays, a year's run at a time: no boxed value per row.
        let cells = input.slices.reduce(0) { $0 + $1.matrix.products.count }
        var units: [Int32] = [], products: [Int32] = [], values: [Double] = [], rcas: [Double] = [], present: [Bool] = []
        units.reserveCapacity(cells); products.reserveCapacity(cells); values.reserveCapacity(cells)
        rcas.reserveCapacity(cells); present.reserveCapacity(cells)
        var empty: [ParamValue] = []
        let threshold = TradeInput.threshold(context)
        for slice in input.slices {
            let matrix = slice.matrix, rca = matrix.rca()
            for unit in 0..<matrix.unitCount {
                units.append(contentsOf: repeatElement(Int32(unit), count: matrix.rowStarts[unit + 1] - matrix.rowStarts[unit]))
            }
            products += matrix.products
            values += matrix.values
            rcas += rca
            present += rca.map(threshold.holds)
            empty.append(input.withoutValue(slice))
        }
        let table = try Table(input.yearColumn(runs: input.slices.map { ($0.year, $0.matrix.products.count) }) + [
            (input.unitColumn, TradeInput.category(units, input.units)), (input.productColumn, TradeInput.category(products, input.products)),
            ("value", Column(storage: .double(values))), ("rca", Column(storage: .double(rcas))), ("presence", Column(storage: .bool(present))),
        ])
        let report: ParamValue = .map(["years": .list(empty), "product_codes_padded": .int(Int64(input.paddedRows))])
        return ["table": table.artifact, "report": .bytes(Data(JSONText.pretty(report)))]
    }
}
