import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `relatedness.proximity`: Hidalgo et al.'s (2007) proximity φ_ij = C_ij / max(k_i, k_j) between
/// products from co-occurrence in units' presence (countries or cities by RCA; firms by
/// co-export), computed from sparse rows in parallel, per year. Matches ecomplexity exactly on
/// the tiny fixture; the diagonal convention is a parameter.
public struct ProximityStage: Stage {
    public static let id = "relatedness.proximity"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Product proximity (minimum conditional probability of co-occurrence), per year.",
        documentation: """
            diagonal: one (φ_ii = 1; ecomplexity in Python, economiccomplexity) or zero (Stata
            ecomplexity, EconGeo). Pairs with φ = 0 are not listed.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "proximity.pftable", summary: "[year,] product_1, product_2, proximity")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            ParamSpec("diagonal", .oneOf(["one", "zero"]), default: .string("one"), summary: "φ_ii"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        // Columns built a year's run at a time: no boxed value per row.
        var runs: [(year: Value?, count: Int)] = [], first: [Int32] = [], second: [Int32] = [], values: [Double] = []
        for slice in input.slices {
            let space = ProductSpace(PresenceRule.presence(slice, context), diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            let before = values.count
            for i in 0..<space.productCount {
                for j in 0..<space.productCount where space[i, j] != 0 {
                    first.append(Int32(i)); second.append(Int32(j)); values.append(space[i, j])
                }
            }
            runs.append((slice.year, values.count - before))
        }
        let table = try Table(input.yearColumn(runs: runs) + [("product_1", TradeInput.category(first, input.products)), ("product_2", TradeInput.category(second, input.products)),
                                                              ("proximity", Column(storage: .double(values)))])
        return ["table": table.artifact]
    }
}
