import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `relatedness.average-relatedness`: Kogler, Rigby & Tucker's (2013) Average Relatedness of each
/// unit's specialisations, AR_u = Σ_{i≠j ∈ S_u} φ_ij / (N_u (N_u − 1)), with φ by the chosen
/// measure (Hidalgo's proximity by default, diagonal 0), and the product-level counterpart;
/// matched to the shared formulas/ transliteration.
public struct AverageRelatednessStage: Stage {
    public static let id = "relatedness.average-relatedness"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Average Relatedness of each unit's present products (Kogler et al. 2013) and each product's mean relatedness, per year.",
        documentation: """
            S_u is the unit's set of present products (RCA ≥ 1, or positive values), N_u its
            size. AR is undefined for N_u ≤ 1 (missing; the reason column says why). The units
            output also has the mean density (diagonal 0) of the products the unit holds. The
            products output has each product's mean relatedness to every other product some unit
            holds, Σ_{j≠i} φ_ij / (n − 1).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("units", kind: .table, fileName: "average-relatedness.pftable",
                           summary: "[year,] unit, products, average_relatedness, mean_density, reason"),
                  PortSpec("products", kind: .table, fileName: "product-relatedness.pftable", summary: "[year,] product, mean_relatedness")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            RelatednessMethod.param,
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let measure = RelatednessMethod.measure(context)
        var unitYears: [Value?] = [], units: [Int32] = [], sizes: [Int64] = [], ars: [Double?] = [], densities: [Double?] = [], reasons: [String?] = []
        var productYears: [Value?] = [], products: [Int32] = [], means: [Double] = []
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context), n = presence.productCount
            let phi = measure.matrix(cooccurrence: presence.cooccurrence(), productCount: n, diagonal: 0)
            let space = ProductSpace(proximity: phi, productCount: n)
            // Σ and count of the held products' densities per unit, from one pass over all units.
            var heldSum = [Double](repeating: 0, count: presence.unitCount), heldCount = [Int](repeating: 0, count: presence.unitCount)
            let cells = space.densities(of: presence)
            for cell in cells.values.indices where cells.present[cell] && !cells.values[cell].isNaN {
                heldSum[Int(cells.units[cell])] += cells.values[cell]
                heldCount[Int(cells.units[cell])] += 1
            }
            for unit in 0..<presence.unitCount where slice.matrix.rowStarts[unit] < slice.matrix.rowStarts[unit + 1] {
                let held = presence.row(unit), size = held.count
                var sum = 0.0
                for i in held { for j in held where j != i { sum += space[Int(i), Int(j)] } }
                unitYears.append(slice.year); units.append(Int32(unit)); sizes.append(Int64(size))
                ars.append(size > 1 ? sum / Double(size * (size - 1)) : nil)
                reasons.append(size > 1 ? nil : "holds \(size) product\(size == 1 ? "" : "s"); AR needs two")
                densities.append(heldCount[unit] == 0 ? nil : heldSum[unit] / Double(heldCount[unit]))
            }
            let ubiquity = presence.ubiquity, held = ubiquity.filter { $0 > 0 }.count
            for i in 0..<n where ubiquity[i] > 0 && held > 1 {
                productYears.append(slice.year); products.append(Int32(i))
                means.append((0..<n).reduce(0) { $1 != i ? $0 + space[i, $1] : $0 } / Double(held - 1))
            }
        }
        let unitTable = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(units, input.units)), ("products", Column(int64: sizes)),
                                                                 ("average_relatedness", Column(double: ars)), ("mean_density", Column(double: densities)),
                                                                 ("reason", Column(string: reasons))])
        let productTable = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(products, input.products)),
                                                                       ("mean_relatedness", Column(double: means))])
        return ["units": unitTable.artifact, "products": productTable.artifact]
    }
}
