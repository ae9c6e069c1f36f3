import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `tests.proportion-z`: the one-sample z-test of a sample proportion against a known population
/// proportion, one test per row — zhou-2010's Table 2 check of the survey's ownership mix against
/// the national database.
///
/// z = (p̂ − p₀) / √(p (1 − p) / n), two-sided p-value from the normal. The textbook form takes
/// p = p₀, the hypothesised proportion (as R's `prop.test` without continuity correction, and
/// statsmodels' `proportions_ztest(prop_var=p0)`); zhou-2010 takes p = p̂, the sample proportion
/// (statsmodels' default `proportions_ztest`), which reproduces its published z to the printed digit.
public struct ProportionZTestStage: Stage {
    public static let id = "tests.proportion-z"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "One-sample z-test of a proportion against a population proportion, per row (both standard-error forms).",
        documentation: """
            Give the sample as successes (a count) or as a share; shares and the population
            proportion are fractions unless percent is true. standard_error: hypothesised uses
            p₀ in the standard error (the textbook test), sample uses p̂ (zhou-2010's Table 2;
            statsmodels' proportions_ztest default). Adds p_sample, z and p_value columns.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "one row per test")],
        outputs: [PortSpec("table", kind: .table, fileName: "tests.pftable", summary: "the rows with p_sample, z and p_value")],
        params: [
            ParamSpec("n", .string, required: true, summary: "column: the sample size"),
            ParamSpec("successes", .string, default: .string(""), summary: "column: the count with the attribute"),
            ParamSpec("sample", .string, default: .string(""), summary: "column: the sample share (instead of successes)"),
            ParamSpec("population", .string, required: true, summary: "column: the population proportion p₀"),
            ParamSpec("percent", .bool, default: .bool(false), summary: "shares are in percent"),
            ParamSpec("standard_error", .oneOf(["hypothesised", "sample"]), default: .string("hypothesised"),
                      summary: "which proportion the standard error uses"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        func numbers(_ parameter: String) throws -> [Double] { try table.numbers(context.string(parameter)!, for: parameter) }
        let scale = context.bool("percent")! ? 100.0 : 1.0
        let sizes = try numbers("n"), population = try numbers("population").map { $0 / scale }
        let useCounts = !context.string("successes")!.isEmpty
        guard useCounts != !context.string("sample")!.isEmpty else {
            throw StageFailure("give exactly one of successes (a count column) and sample (a share column)")
        }
        let sample = useCounts ? zip(try numbers("successes"), sizes).map { $0 / $1 } : try numbers("sample").map { $0 / scale }
        let bySample = context.string("standard_error") == "sample"
        var shares: [Double?] = [], statistics: [Double?] = [], pValues: [Double?] = []
        for row in 0..<table.rowCount {
            let n = sizes[row], p = sample[row], p0 = population[row]
            guard !n.isNaN, !p.isNaN, !p0.isNaN else {
                shares.append(nil); statistics.append(nil); pValues.append(nil)
                continue
            }
            guard n >= 1, n == n.rounded() else { throw StageFailure("row \(row + 1): n is \(n); a sample size is a whole number ≥ 1") }
            for (name, value) in [("the sample proportion", p), ("the population proportion", p0)] where !(0...1).contains(value) {
                throw StageFailure("row \(row + 1): \(name) is \(value * scale), outside 0…\(Int(scale))\(scale == 1 && value <= 100 ? "; set percent: true if the shares are percentages" : "")")
            }
            let variance = (bySample ? p * (1 - p) : p0 * (1 - p0)) / n
            guard variance > 0 else {
                throw StageFailure("row \(row + 1): the \(bySample ? "sample" : "population") proportion is \(bySample ? p : p0), so the standard error is 0; use standard_error: \(bySample ? "hypothesised" : "sample")")
            }
            let z = (p - p0) / variance.squareRoot()
            shares.append(p); statistics.append(z); pValues.append(Distribution.normalTwoSided(z))
        }
        var result = try table.adding("p_sample", Column(double: shares))
        result = try result.adding("z", Column(double: statistics))
        result = try result.adding("p_value", Column(double: pValues))
        return ["table": result.artifact]
    }
}
