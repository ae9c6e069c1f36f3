import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `geo.coagglomeration`: co-location of two industries in each region by Chen Jianjun's index as
/// an-fu-2026 uses it, CO = [1 − |LQ_a − LQ_b| / (LQ_a + LQ_b)] + (LQ_a + LQ_b) (matched to the
/// shared formulas/ fixture), and Ellison–Glaeser's pairwise co-agglomeration of every pair of
/// industries across regions.
public struct CoagglomerationStage: Stage {
    public static let id = "geo.coagglomeration"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Chen's co-agglomeration index CO of an industry pair per region, and Ellison–Glaeser co-agglomeration of every industry pair, per year.",
        documentation: """
            pair names the two industries (e.g. [manufacturing, producer_services]); their
            location quotients are computed against all industries in the table. The pairs
            output has γ_ij = Σ_r (s_ri − x_r)(s_rj − x_r) / (1 − Σ_r x_r²) for every i < j
            (Ellison & Glaeser 1997 without plant Herfindahls, as Ellison, Glaeser & Kerr 2010).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "region, industry, employment[, year]")],
        outputs: [PortSpec("units", kind: .table, fileName: "co.pftable", summary: "[year,] region, lq_1, lq_2, quality, co"),
                  PortSpec("pairs", kind: .table, fileName: "ellison-glaeser.pftable", summary: "[year,] industry_1, industry_2, ellison_glaeser")],
        params: TradeInput.params + [ParamSpec("pair", .list(.string), required: true, summary: "the two industries whose co-location CO measures")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let pair = context.strings("pair")
        guard pair.count == 2 else { throw StageFailure("pair lists \(pair.count) industries; name exactly two, e.g. pair: [manufacturing, services]") }
        let indices = try pair.map { name in
            guard let index = input.products.firstIndex(of: name) else {
                throw StageFailure("pair names '\(name)', which is not an industry of the table (industries: \(input.products.prefix(12).joined(separator: ", ")))")
            }
            return index
        }
        var unitYears: [Value?] = [], units: [Int32] = [], first: [Double] = [], second: [Double] = [], quality: [Double?] = [], co: [Double?] = []
        var pairYears: [Value?] = [], industry1: [Int32] = [], industry2: [Int32] = [], gammas: [Double?] = []
        for slice in input.slices {
            let matrix = slice.matrix, lq = matrix.rca()
            for unit in 0..<matrix.unitCount where matrix.rowStarts[unit] < matrix.rowStarts[unit + 1] {
                let cells = matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1]
                let quotients = indices.map { index in cells.first { Int(matrix.products[$0]) == index }.map { lq[$0] } ?? 0 }
                let index = Coagglomeration.chen(quotients[0], quotients[1])
                unitYears.append(slice.year); units.append(Int32(unit)); first.append(quotients[0]); second.append(quotients[1])
                quality.append(index?.quality); co.append(index?.index)
            }
            let gamma = Coagglomeration.ellisonGlaeser(matrix), n = matrix.productCount
            for i in 0..<n {
                for j in (i + 1)..<max(n, i + 1) where gamma[i * n + j] != nil {
                    pairYears.append(slice.year); industry1.append(Int32(i)); industry2.append(Int32(j)); gammas.append(gamma[i * n + j])
                }
            }
        }
        let unitTable = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(units, input.units)),
                                                                 ("lq_1", Column(double: first)), ("lq_2", Column(double: second)),
                                                                 ("quality", Column(double: quality)), ("co", Column(double: co))])
        let pairTable = try Table(input.yearColumn(pairYears) + [("industry_1", TradeInput.category(industry1, input.products)),
                                                                 ("industry_2", TradeInput.category(industry2, input.products)),
                                                                 ("ellison_glaeser", Column(double: gammas))])
        return ["units": unitTable.artifact, "pairs": pairTable.artifact]
    }
}
