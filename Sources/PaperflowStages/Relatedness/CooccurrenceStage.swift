import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `relatedness.cooccurrence`: how many units have both products (C = MᵀM, from sparse presence
/// rows on every core, never a dense units × products matrix), and relatedness read off it by a
/// named measure: Hidalgo's proximity or EconGeo's association, probability, cosine or Jaccard
/// normalisations (`RelatednessMeasure`; matched to EconGeo v1.3 on its tiny fixtures), per year.
public struct CooccurrenceStage: Stage {
    public static let id = "relatedness.cooccurrence"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Product co-occurrence from unit presence and relatedness by Hidalgo's proximity or EconGeo's normalisations, per year.",
        documentation: """
            Presence is RCA against the threshold (countries, regions) or any positive value
            (presence: positive — a firm exports the product). cooccurrence is C_ij, the number of
            units with both products; its diagonal C_ii is the number with product i (EconGeo's
            co.occurrence(diagonal = TRUE)). method: hidalgo (C_ij / max(C_ii, C_jj)),
            association, probability (EconGeo's default "prob"), cosine, jaccard, or count.
            EconGeo's four use co-occurrences between different products only. diagonal: what
            relatedness puts on the diagonal, zero (EconGeo, Stata ecomplexity) or one. Pairs
            that never co-occur are not listed.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "cooccurrence.pftable",
                           summary: "[year,] product_1, product_2, cooccurrence, relatedness")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            RelatednessMethod.param,
            ParamSpec("diagonal", .oneOf(["zero", "one"]), default: .string("zero"), summary: "relatedness of a product with itself"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let measure = RelatednessMethod.measure(context), diagonal: Double = context.string("diagonal") == "one" ? 1 : 0
        var years: [Value?] = [], first: [Int32] = [], second: [Int32] = [], counts: [Int64] = [], values: [Double] = []
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context), n = presence.productCount
            let c = presence.cooccurrence()
            let r = measure.matrix(cooccurrence: c, productCount: n, diagonal: diagonal)
            for i in 0..<n {
                for j in 0..<n where c[i * n + j] > 0 {
                    years.append(slice.year); first.append(Int32(i)); second.append(Int32(j))
                    counts.append(Int64(c[i * n + j])); values.append(r[i * n + j])
                }
            }
        }
        let table = try Table(input.yearColumn(years) + [("product_1", TradeInput.category(first, input.products)), ("product_2", TradeInput.category(second, input.products)),
                                                         ("cooccurrence", Column(int64: counts)), ("relatedness", Column(double: values))])
        return ["table": table.artifact]
    }
}
