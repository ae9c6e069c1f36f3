import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// fixest's multiple estimation in one model stage — c()/y1 + y2 outcomes, sw(), sw0(), csw(),
/// sw() over fixed effects — against pyfixest's feols with the same formulas
/// (`Tests/Fixtures/models/ref_multiple.py`), M2 panel, clustered by province.
@Suite("Multiple estimation")
struct MultipleEstimationTests {
    struct Model: Decodable { var depvar: String; var fixef: String; var terms: [String]; var coef: [Double]; var se: [Double] }

    static let references = try! JSONDecoder().decode([String: [Model]].self, from: Data(contentsOf: Fixtures.url("models/multiple_pyfixest.json")))

    @Test("each expanded formula is a group of the fit, in pyfixest's order, titled by its formula, with pyfixest's estimates (1e-10) and SEs (1e-8)", arguments: [
        ("outcomes_cumulative", "models.fe@2", "c(y, x6) ~ x1 + csw(x2, x3) | province + year"),
        ("outcomes_cumulative", "models.fe@2", "y + x6 ~ x1 + csw(x2, x3) | province + year"),
        ("stepwise_zero", "models.ols@2", "y ~ x1 + sw0(x2, x3)"),
        ("fixed_effects", "models.fe@2", "y ~ x1 + x2 | sw(province, province + year)"),
    ])
    func againstPyfixest(name: String, uses: String, formula: String) throws {
        let references = try #require(Self.references[name])
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: \(uses)
            with: {formula: "\(formula)", vcov: {cluster: [province]}}
            """)
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml") + """

              table:
                uses: tables.regression@1
                inputs: {fits: [model.fit]}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        let groups = fit.mapValue?["groups"]?.listValue ?? []
        #expect(groups.count == references.count)
        var titles: [String] = []
        for (group, reference) in zip(groups, references) {
            let slopes = reference.terms.filter { $0 != "Intercept" }
            let expected = "\(reference.depvar) ~ \(slopes.joined(separator: " + "))" + (reference.fixef.isEmpty ? "" : " | \(reference.fixef)")
            #expect(group.mapValue?["formula"] == .string(expected))
            #expect(group.mapValue?["group"] == .string(expected))
            titles.append(expected)
            try ModelStageTests.expectTerms(group, reference.terms, estimates: reference.coef, standardErrors: reference.se,
                                            estimateTolerance: 1e-10, seTolerance: 1e-8, expected)
            #expect(ModelStageTests.coefficients(group).count == reference.terms.count)
        }
        #expect(fit.mapValue?["formulas"]?.listValue?.compactMap(\.stringValue) == titles)
        // One column per formula, titled by it (a '|' in a Markdown cell escaped).
        let markdown = try project.read("Artifacts/m/table/table.md")
        let header = titles.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
        #expect(markdown.hasPrefix("|  | " + header + " |\n"), "\(markdown.prefix(300))")
    }

    @Test("with split: a group per formula and level, titled by both, each equal to the single formula's split fit")
    func withSplit() throws {
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ x1 + csw(x2, x3) | year", split: region, vcov: {cluster: [province]}}
            """)
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml") + """

              single:
                uses: models.fe@2
                inputs: {table: data.table}
                with: {formula: "y ~ x1 + x2 + x3 | year", split: region, vcov: {cluster: [province]}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let groups = try ModelStageTests.fit(project).mapValue?["groups"]?.listValue ?? []
        #expect(groups.compactMap { $0.mapValue?["group"]?.stringValue } == ["central", "east", "west", "central", "east", "west"].enumerated().map {
            "y ~ x1 + \($0.offset < 3 ? "x2" : "x2 + x3") | year, region = \($0.element)"
        })
        let single = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/single/fit.json").utf8)).mapValue?["groups"]?.listValue ?? []
        #expect(single.count == 3)
        for (ours, theirs) in zip(groups.suffix(3), single) {
            #expect(ModelStageTests.coefficients(ours) == ModelStageTests.coefficients(theirs))
        }
    }

    @Test("the operators expand as fixest's do, and are refused where they mean nothing, at their column", arguments: [
        ("c(y1, y2) ~ sw(a, b)", ["y1 ~ (a)", "y1 ~ (b)", "y2 ~ (a)", "y2 ~ (b)"], nil as FormulaError?),
        ("y ~ x + csw0(a, log(b) + c)", ["y ~ x + (1)", "y ~ x + (a)", "y ~ x + (a + log(b) + c)"], nil),
        ("y ~ x | csw(firm, year)", ["y ~ x | firm", "y ~ x | firm + year"], nil),
        ("y ~ c(a, b)", [], FormulaError(message: "c() lists outcomes, before '~' (c(y1, y2) ~ x); on the right use sw() or csw()", column: 5)),
        ("y ~ x | sw0(firm, year)", [], FormulaError(message: "sw0() varies regressors, after '~' and before any '|'; for fixed effects use sw()", column: 9)),
        ("y ~ sw(a, )", [], FormulaError(message: "sw() takes one or more comma-separated parts, e.g. sw(x1, x2)", column: 5)),
        ("y ~ csw(a, b", [], FormulaError(message: "'csw(' is not closed", column: 5)),
    ])
    func expansion(text: String, formulas: [String], error: FormulaError?) throws {
        if let error {
            #expect(throws: error) { try MultipleEstimation.expand(text) }
        } else {
            #expect(try MultipleEstimation.expand(text) == formulas)
        }
    }
}
