import Foundation
import PaperflowCore

/// `tables.regression`: fits side by side in a journal's layout, as Markdown, LaTeX (booktabs),
/// HTML and CSV — the layout of fixest's `etable` and Stata's `esttab`.
public struct RegressionTableStage: Stage {
    public static let id = "tables.regression"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Model fits side by side: coefficients with stars, SEs in parentheses, FE rows, N and R² (Markdown, LaTeX, HTML, CSV).",
        documentation: """
            One column per fit, in input order. A term a fit does not have is left blank. Stars
            mark p below each threshold (default 0.1, 0.05, 0.01: *, **, ***). The LaTeX needs
            \\usepackage{booktabs}.
            """,
        inputs: [PortSpec("fits", kind: .json, multiple: true, summary: "models.* fit artifacts, one column each")],
        outputs: TableLayout.outputs,
        params: [
            ParamSpec("labels", .map(.string), default: .map([:]), summary: "term or fixed effect → label"),
            ParamSpec("order", .list(.string), default: .list([]), summary: "terms to show, in order (default: all)"),
            ParamSpec("statistics", .list(.oneOf((RegressionTable.statisticLabels.keys + RegressionTable.rowGroups).sorted())),
                      default: .list([.string("observations"), .string("r2")]),
                      summary: "rows under the coefficients; tests: a row per Wald test the fits carry (models.* tests:); iv: each endogenous regressor's first-stage F and the overidentification test (Sargan or Hansen J) of IV fits; bootstrap: the wild cluster bootstrap's p-value and confidence set (models.* bootstrap:)"),
            ParamSpec("stars", .list(.double), default: .list([.double(0.1), .double(0.05), .double(0.01)]), summary: "p thresholds"),
            ParamSpec("digits", .int, default: .int(3), summary: "decimal places"),
            ParamSpec("fixed_effects", .bool, default: .bool(true), summary: "YES/NO rows for the fixed effects"),
            ParamSpec("estimator", .bool, default: .bool(true),
                      summary: "a row naming each column's estimator (Probit, Logit, OLS, LPM, Poisson), with its standard errors unless statistics has clusters"),
            ParamSpec("estimator_label", .string, default: .string("Estimator"), summary: "that row's label"),
            ParamSpec("titles", .list(.string), default: .list([]), summary: "column titles (default (1), (2), …)"),
            ParamSpec("margins", .list(.int), default: .list([]),
                      summary: "columns (1-based) that show the fit's average marginal effects instead of its coefficients (a fit made with margins:)"),
            ParamSpec("notes", .string, default: .string(""), summary: "a note under the table"),
            ParamSpec("caption", .string, default: .string(""), summary: "the caption"),
        ] + TableLayout.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let fits = try (context.inputs["fits"] ?? []).map { artifact -> ParamValue in
            do { return try JSONDecoder().decode(ParamValue.self, from: try artifact.data()) } catch {
                throw StageFailure("input fits is not JSON: \(error)")
            }
        }
        var options = RegressionTable.Options()
        options.labels = (context.params["labels"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        options.order = context.params["order"]?.listValue?.compactMap(\.stringValue) ?? []
        options.statistics = context.params["statistics"]?.listValue?.compactMap(\.stringValue) ?? []
        options.thresholds = context.params["stars"]?.listValue?.compactMap(\.doubleValue) ?? []
        let digits = Int(context.int("digits")!)
        guard (0...10).contains(digits) else { throw StageFailure("digits must be between 0 and 10; it is \(digits)") }
        options.digits = digits
        options.fixedEffectRows = context.bool("fixed_effects")!
        options.estimatorRow = context.bool("estimator")! ? context.string("estimator_label")! : nil
        options.titles = context.params["titles"]?.listValue?.compactMap(\.stringValue) ?? []
        options.marginColumns = context.params["margins"]?.listValue?.compactMap(\.intValue).map(Int.init) ?? []
        options.notes = context.string("notes").flatMap { $0.isEmpty ? nil : $0 }
        options.caption = context.string("caption").flatMap { $0.isEmpty ? nil : $0 }
        let table = try RegressionTable(fits: fits, options: options)
        return table.layout.artifacts(context)
    }
}
