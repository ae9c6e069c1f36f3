import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// Presence per year from a trade input: RCA against the threshold, or any positive value.
enum PresenceRule {
    static let param = ParamSpec("presence", .oneOf(["rca", "positive"]), default: .string("rca"),
                                 summary: "rca: RCA passes the threshold; positive: any value > 0 (a firm exports it)")

    static func presence(_ slice: TradeInput.Slice, _ context: StageContext) -> Presence {
        if context.string("presence") == "positive" {
            return Presence(slice.matrix, cellValues: slice.matrix.values, threshold: .above(0))
        }
        return Presence(slice.matrix, cellValues: slice.matrix.rca(), threshold: TradeInput.threshold(context))
    }
}

/// The `method` parameter: which `RelatednessMeasure` turns co-occurrence into relatedness.
enum RelatednessMethod {
    static let param = ParamSpec("method", .oneOf(RelatednessMeasure.allCases.map(\.rawValue)), default: .string("hidalgo"), summary: "the relatedness measure")

    static func measure(_ context: StageContext) -> RelatednessMeasure { RelatednessMeasure(rawValue: context.string("method")!)! }
}
