import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// Two-stage least squares in the linear model stages, fixest's syntax `y ~ w | fe | x ~ z`,
/// against pyfixest's feols and linearmodels' IV2SLS/IVGMM on the seeded panel of
/// `Tests/Fixtures/models/ref_iv.py` (planted effects 0.5, 1.0, −0.7).
@Suite("Instrumental variables")
struct InstrumentalVariablesTests {
    struct Reference: Decodable {
        var terms: [String]
        var coef: [Double]
        var se: [Double]
        var first_f: Double?
        var first_terms: [String]?
        var first_coef: [Double]?
        var first_se: [Double]?
        var first_f_stat: [Double]?
        var sargan: Double?
        var j_stat: Double?
        var j_df: Int?
        var kp_f: Double?
    }

    static let references: [String: Reference] = {
        let data = try! Data(contentsOf: Fixtures.url("models/iv_reference.json"))
        let object = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        var references: [String: Reference] = [:]
        for (key, value) in object where key != "rows" {
            references[key] = try! JSONDecoder().decode(Reference.self, from: JSONSerialization.data(withJSONObject: value))
        }
        return references
    }()

    static func fit(_ uses: String, _ formula: String, vcov: String, convention: String) throws -> ParamValue {
        let project = try ModelStageTests.project(data: "iv_panel.csv", model: """
            uses: \(uses)
            with: {formula: "\(formula)", vcov: \(vcov), convention: \(convention)}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        return try ModelStageTests.fit(project)
    }

    /// The fit under each (vcov, reference key) with its reference, the coefficients checked
    /// (estimates 1e-8, SEs 1e-6).
    static func checkedFits(_ name: String, _ uses: String, _ formula: String, convention: String,
                            _ covariances: [(vcov: String, key: String)]) throws -> [(key: String, reference: Reference, fit: ParamValue)] {
        try covariances.map { vcov, key in
            let reference = try #require(references["\(name)_\(key)"])
            let fit = try Self.fit(uses, formula, vcov: vcov, convention: convention)
            try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se,
                                            estimateTolerance: 1e-8, seTolerance: 1e-6, "\(name) \(key)")
            #expect(ModelStageTests.coefficients(fit).count == reference.terms.count)
            return (key, reference, fit)
        }
    }

    static func firstStages(_ fit: ParamValue) -> [[String: ParamValue]] {
        fit.mapValue?["iv"]?.mapValue?["first_stages"]?.listValue?.compactMap(\.mapValue) ?? []
    }

    @Test("y ~ w | unit + year | x1 ~ z1 + z2 and y ~ w | x1 ~ z1 + z2 + z3 equal pyfixest's feols under iid, hetero and CRV1 (estimates 1e-8, SEs 1e-6), first stages and their F of the excluded instruments included",
          arguments: [("pf_fe", "models.fe@2", "y ~ w | unit + year | x1 ~ z1 + z2"), ("pf_plain", "models.ols@2", "y ~ w | x1 ~ z1 + z2 + z3")])
    func againstPyfixest(name: String, uses: String, formula: String) throws {
        for (key, reference, fit) in try Self.checkedFits(name, uses, formula, convention: "fixest",
                                                          [("classical", "iid"), ("hc1", "hetero"), ("{cluster: [unit]}", "CRV1")]) {
            let first = try #require(Self.firstStages(fit).first)
            #expect(first["endogenous"] == .string("x1"))
            #expect(ModelStageTests.relative(first["f"]!.doubleValue!, reference.first_f!) < 1e-6, "\(name) \(key) first-stage F \(first["f"]!) vs \(reference.first_f!)")
            let rows = Dictionary(uniqueKeysWithValues: (first["coefficients"]?.listValue ?? []).compactMap(\.mapValue).map { ($0["name"]!.stringValue!, $0) })
            for (index, term) in reference.first_terms!.enumerated() {
                let row = try #require(rows[term == "Intercept" ? "(Intercept)" : term])
                #expect(ModelStageTests.relative(row["estimate"]!.doubleValue!, reference.first_coef![index]) < 1e-8, "\(name) \(key) first stage \(term)")
                #expect(ModelStageTests.relative(row["se"]!.doubleValue!, reference.first_se![index]) < 1e-6, "\(name) \(key) first stage \(term) se")
            }
        }
    }

    @Test("two endogenous regressors (x1 + x2 ~ z1 + z2 + z3) with unit and year effects equal linearmodels' IV2SLS with the dummies, debiased (statsmodels' convention), under unadjusted, robust and clustered covariances; first-stage F, Sargan's test and the Cragg–Donald / Kleibergen–Paap rk Wald F (linearmodels' kleibergen_paap_f, ivreg2's definition) likewise; Hansen's J equals IVGMM's two-step J (robust and clustered weights)",
          arguments: [("lm_fe", "models.fe@2", "y ~ w | unit + year | x1 + x2 ~ z1 + z2 + z3"), ("lm_plain", "models.ols@2", "y ~ w | x1 + x2 ~ z1 + z2 + z3")])
    func againstLinearmodels(name: String, uses: String, formula: String) throws {
        for (key, reference, fit) in try Self.checkedFits(name, uses, formula, convention: "statsmodels",
                                                          [("classical", "unadjusted"), ("hc1", "robust"), ("{cluster: [unit]}", "clustered")]) {
            // linearmodels' f.stat is the Wald statistic, divided by q = 3 only when unadjusted.
            let stages = Self.firstStages(fit)
            #expect(stages.map { $0["endogenous"] } == [.string("x1"), .string("x2")])
            for (stage, want) in zip(stages, reference.first_f_stat!) {
                let q = key == "unadjusted" ? 1.0 : 3
                #expect(ModelStageTests.relative(stage["f"]!.doubleValue! * q, want) < 1e-6, "\(name) \(key) \(stage["endogenous"]!) F")
            }
            // ivreg2's weak-identification F: Cragg–Donald unadjusted, Kleibergen–Paap otherwise.
            let weak = fit.mapValue?["iv"]?.mapValue?["weak_identification"]?.mapValue
            #expect(weak?["statistic"] == .string(key == "unadjusted" ? "cragg-donald" : "kleibergen-paap"))
            #expect(ModelStageTests.relative(weak?["f"]?.doubleValue ?? .nan, reference.kp_f!) < 1e-8, "\(name) \(key) weak-identification F \(String(describing: weak?["f"])) vs \(reference.kp_f!)")
            let test = fit.mapValue?["iv"]?.mapValue?["overidentification"]?.mapValue
            if key == "unadjusted" {
                #expect(test?["test"] == .string("sargan"))
                #expect(ModelStageTests.relative(test?["statistic"]?.doubleValue ?? .nan, reference.sargan!) < 1e-8, "\(name) Sargan")
                #expect(test?["degrees"] == .int(1))
            } else {
                #expect(test?["test"] == .string("hansen"))
                if let j = reference.j_stat {
                    #expect(ModelStageTests.relative(test?["statistic"]?.doubleValue ?? .nan, j) < 1e-8, "\(name) \(key) Hansen J \(String(describing: test?["statistic"])) vs \(j)")
                    #expect(test?["degrees"] == .int(Int64(reference.j_df!)))
                }
            }
        }
    }

    @Test("weighted 2SLS (analytic weights wt, unit and year effects, hc1) equals pyfixest's feols with weights (estimates 1e-8, SEs 1e-6)")
    func weighted() throws {
        let reference = try #require(Self.references["pf_fe_weighted_hetero"])
        let project = try ModelStageTests.project(data: "iv_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ w | unit + year | x1 ~ z1 + z2", vcov: hc1, weights: wt}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        try ModelStageTests.expectTerms(try ModelStageTests.fit(project), reference.terms, estimates: reference.coef, standardErrors: reference.se,
                                        estimateTolerance: 1e-8, seTolerance: 1e-6, "weighted IV")
    }

    @Test("an IV part the model cannot take is refused where it is written: fewer instruments than endogenous regressors, a regressor also instrumented, a factor instrument, an endogenous instrument; and varying slopes, not computed yet", arguments: [
        ("y ~ w | unit | x1 + x2 ~ z1", 24, "2 endogenous regressors need at least 2 instruments, and 'x1 + x2 ~ z1' has 1; add an excluded instrument or treat a regressor as exogenous"),
        ("y ~ w + x1 | x1 ~ z1", 14, "'x1' is both a regressor and in the IV part; an exogenous regressor is its own instrument, so name it once, before the first '|'"),
        ("y ~ w | x1 ~ i(unit)", 14, "an instrument must be numeric, not the factor term 'i(unit)'; make its dummies columns with data.derive"),
        ("y ~ w | x1 ~ x1 + z1", 12, "'x1' is both endogenous and an instrument"),
        ("y ~ w | firm[year]", 13, "varying slopes (fixest's firm[x]) are not computed yet; for a slope of x per firm, enter i(firm, x) before the '|'"),
    ])
    func refused(formula: String, column: Int, message: String) throws {
        #expect(throws: FormulaError(message: message, column: column)) { try Formula(formula) }
    }

    @Test("a probit with an IV part fails with what to use; an instrument the fixed effects absorb leaves the model unidentified, said so")
    func refusedAtRun() throws {
        let project = try ModelStageTests.project(data: "iv_panel.csv", model: """
            uses: models.probit@2
            with: {formula: "y ~ w | x1 ~ z1"}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.compactMap(\.message) == ["the instrumental-variables part of 'y ~ w | x1 ~ z1' is for the linear models (ols, fe, lpm: two-stage least squares); probit is not instrumented"])
        let absorbed = try ModelStageTests.project(data: "iv_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ w | unit + year | x1 ~ year"}
            """)
        defer { absorbed.cleanUp() }
        let second = try absorbed.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(second.record.stages.compactMap(\.message) == ["fe 'y ~ w | unit + year | x1 ~ year': 1 endogenous regressors need 1 instruments, and only 0 of year vary beyond the regressors and fixed effects; the model is not identified"])
    }
}

/// `tables.regression`'s `statistics: [iv]` rows, from the fits the IV tests check.
@Suite("Instrumental variables in tables")
struct InstrumentalVariablesTableTests {
    @Test("statistics: [iv] prints each endogenous regressor's first-stage F, the Kleibergen–Paap rk Wald F and the overidentification test with its p-value; the estimator row says 2SLS")
    func rows() throws {
        let project = try ModelStageTests.project(data: "iv_panel.csv", model: """
            uses: models.ols@2
            with: {formula: "y ~ w | x1 + x2 ~ z1 + z2 + z3", vcov: hc1, convention: statsmodels}
            """)
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml") + """

              table:
                uses: tables.regression@1
                inputs: {fits: [model.fit]}
                with: {statistics: [observations, iv], digits: 3}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let reference = try #require(InstrumentalVariablesTests.references["lm_plain_robust"])
        let markdown = try project.read("Artifacts/m/table/table.md")
        // linearmodels' robust f.stat is the Wald statistic; the table's F divides it by q = 3.
        let f = reference.first_f_stat!.map { String(format: "%.3f", $0 / 3) }
        #expect(markdown.contains("| First-stage F: x1 | \(f[0]) |"), "\(markdown)")
        #expect(markdown.contains("| First-stage F: x2 | \(f[1]) |"))
        #expect(markdown.contains("| Kleibergen–Paap rk Wald F | \(String(format: "%.3f", reference.kp_f!)) |"), "\(markdown)")
        let p = Distribution.chiSquareUpperTail(reference.j_stat!, degrees: 1)
        #expect(markdown.contains("| Overidentification | Hansen J = \(String(format: "%.3f", reference.j_stat!)) [p = \(String(format: "%.3f", p))] |"))
        #expect(markdown.contains("| Estimator | 2SLS, robust (HC1) SE |"), "\(markdown)")
    }
}
