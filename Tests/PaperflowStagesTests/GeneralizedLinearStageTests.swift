import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// `models.poisson@1` and probit/logit with absorbed fixed effects, in a workflow, against the
/// pyfixest and statsmodels fixtures of `Tests/Fixtures/models/ref_glm.py`.
@Suite("GLM model stages")
struct GeneralizedLinearStageTests {
    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    /// A project on the M2 panel with a binary outcome `high` (y > 0) in stage `derived`, then `stages`.
    static func binaryPanel(stages: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "models/m2_panel.csv", to: "data/m2_panel.csv")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/m2_panel.csv}}
              derived: {uses: data.derive@1, inputs: {table: data.table}, with: {columns: ["high = ifelse(y > 0, 1, 0)"]}}
            \(stages)
            """)
        return project
    }

    struct Reference: Decodable {
        var terms: [String]
        var coef: [Double]
        var nobs: Int
        var se_cluster: [Double]
        var se_hetero: [Double]?
        var se_HC0: [Double]?
    }

    static func reference(_ file: String, _ name: String) throws -> Reference {
        try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/\(file)")))[name]!
    }

    @Test("models.poisson: PPML with exporter-year and importer-year effects (fixest's a^b), clustered by exporter, equals pyfixest's fepois (1e-8); the all-zero exporter-year is dropped, counted and named")
    func gravity() throws {
        let project = try ModelStageTests.project(data: "glm_trade.csv", model: """
            uses: models.poisson@1
            with: {formula: "trade ~ rta + ltariff + ldist | exporter^year + importer^year", vcov: {cluster: [exporter]}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        let reference = try Self.reference("glm_pyfixest.json", "poisson2")
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se_cluster,
                                        estimateTolerance: 1e-8, seTolerance: 1e-8)
        let map = try #require(fit.mapValue)
        #expect(map["observations"] == .int(Int64(reference.nobs)))
        #expect(map["observations_separated"] == .int(14))
        let separated = try #require(map["separated"]?.listValue?.first?.mapValue)
        #expect(separated["factor"] == .string("exporter^year") && separated["level"] == .string("C03_2002"))
        #expect(separated["outcome"]?.doubleValue == 0 && separated["observations"] == .int(14))
        #expect(map["estimator"] == .string("poisson"))
    }

    @Test("models.poisson drops what the regressors separate: the fit counts the 13 rows and the 5 of the all-zero level, its estimates are pyfixest's (separation_check fe + ir), and tables.regression says so in its notes")
    func separationByRegressors() throws {
        let project = try ModelStageTests.project(data: "separation_panel.csv", model: """
            uses: models.poisson@1
            with: {formula: "y ~ x1 + x2 + sanction + embargo | unit + year", vcov: {cluster: [unit]}}
            """)
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml") + """

              table: {uses: tables.regression@1, inputs: {fits: [model.fit]}}

            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        let reference = try JSONDecoder().decode(PoissonSeparationReference.self, from: Data(contentsOf: Fixtures.url("models/separation_pyfixest.json")))
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se_cluster,
                                        estimateTolerance: 1e-8, seTolerance: 1e-6)
        let map = try #require(fit.mapValue)
        #expect(map["observations"] == .int(Int64(reference.nobs)))
        #expect(map["observations_separated"] == .int(18))
        #expect(map["observations_separated_by_regressors"] == .int(13))
        let table = try project.read("Artifacts/m/table/table.md")
        #expect(table.contains("13 observations with a zero outcome separated by the regressors dropped (Correia, Guimarães & Zylkin's rectifier)"), "\(table)")
        #expect(table.contains("5 observations in 1 level of unit whose outcome is all zero dropped"), "\(table)")
    }

    struct PoissonSeparationReference: Decodable {
        var nobs: Int
        var terms: [String]
        var coef: [Double]
        var se_cluster: [Double]
    }

    @Test("models.poisson refuses a negative outcome naming the row, and hc3 naming what to use")
    func refusals() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/d.csv", "y,x\n1,0.5\n0,1.5\n-2,2.5\n3,0.1\n")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/d.csv}}
              negative: {uses: models.poisson@1, inputs: {table: data.table}, with: {formula: "y ~ x"}}
              leverage: {uses: models.poisson@1, inputs: {table: data.table}, with: {formula: "y ~ x", vcov: hc3, subset: "y >= 0"}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message) })
        #expect(messages["negative"] == "poisson needs an outcome of non-negative numbers (zeros are kept: PPML), but 'y' is -2.0 in row 3; a negative flow is a data error — fix or subset it, e.g. subset: \"y >= 0\"")
        #expect(messages["leverage"] == "vcov: hc3 is for linear models (ols, lpm, fe); poisson takes classical, hc1 or a cluster")
    }

    /// The firm panel's frame for `export ~ x1 + x2 | firm + year`.
    static func firmFrame() throws -> ModelFrame {
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/glm_firms.csv"), displayPath: "glm_firms.csv")
        return try ModelFrame(try Formula("export ~ x1 + x2 | firm + year"), table: table)
    }

    @Test("probit and logit give the same estimates and SEs with the fixed effects as dummies and absorbed, under every convention and covariance (1e-7)",
          arguments: [ModelStages.Estimator.probit, .logit])
    func dummiesEqualAbsorbed(estimator: ModelStages.Estimator) throws {
        let frame = try Self.firmFrame()
        let firms = frame.fixedEffects[0].codes, years = frame.fixedEffects[1].codes
        let covariances: [(ModelStages.Covariance, [[Int]])] = [(.classical, []), (.hc1, []), (.cluster(["firm"]), [firms]), (.cluster(["firm", "year"]), [firms, years])]
        for convention in ModelStages.conventions {
            for (covariance, clusters) in covariances {
                var dummies: [String: ParamValue] = [:], absorbed: [String: ParamValue] = [:]
                try ModelStages.fitBinary(estimator, frame, covariance, clusters, convention, "none", into: &dummies)
                try ModelStages.fitAbsorbed(estimator == .probit ? .probit : .logit, frame, nil, covariance, clusters, convention,
                                            GeneralizedLinearFit.IRLSOptions(), into: &absorbed)
                let a = ModelStageTests.coefficients(.map(dummies)), b = ModelStageTests.coefficients(.map(absorbed))
                for name in ["x1", "x2"] {
                    let x = try #require(a[name]), y = try #require(b[name])
                    #expect(Self.relative(y["estimate"]!.doubleValue!, x["estimate"]!.doubleValue!) < 1e-9, "\(convention) \(covariance) \(name)")
                    #expect(Self.relative(y["se"]!.doubleValue!, x["se"]!.doubleValue!) < 1e-7,
                            "\(estimator) \(convention) \(covariance) \(name): absorbed \(y["se"]!) vs dummies \(x["se"]!)")
                }
                #expect(dummies["observations"] == absorbed["observations"])
            }
        }
    }
}

/// Factor coding (issue 20): a factor always lost its first level, even where nothing needed a
/// base, silently constraining it.
@Suite("Factor coding")
struct FactorCodingTests {
    @Test("y ~ 0 + i(region) keeps all three regions, i(region):x1 a slope per region, x1 + i(region):x1 two; each equal to statsmodels' (1e-10, SEs 1e-8)",
          arguments: [("levels", "y ~ 0 + i(region)"), ("slopes", "y ~ i(region):x1"), ("slopes_base", "y ~ x1 + i(region):x1")])
    func coding(name: String, formula: String) throws {
        struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double] }
        let reference = try #require(try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/factors_statsmodels.json")))[name])
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.ols@2
            with: {formula: "\(formula)"}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let rows = ModelStageTests.coefficients(try ModelStageTests.fit(project))
        #expect(rows.count == reference.terms.count, "\(rows.keys.sorted())")
        for (index, term) in reference.terms.enumerated() {
            // C(region)[T.east]:x1 → region::east:x1; C(region)[central] → region::central.
            let ours = term == "Intercept" ? "(Intercept)" : term.replacingOccurrences(of: "C(region)[T.", with: "region::")
                .replacingOccurrences(of: "C(region)[", with: "region::").replacingOccurrences(of: "]", with: "")
            let row = try #require(rows[ours], "\(ours) in \(rows.keys.sorted())")
            #expect(ModelStageTests.relative(row["estimate"]!.doubleValue!, reference.coef[index]) < 1e-10, "\(ours)")
            #expect(ModelStageTests.relative(row["se"]!.doubleValue!, reference.se[index]) < 1e-8, "\(ours) se")
        }
    }

    /// The effects of x1, x2 and x3 in `high ~ x1 + x2 + i(region):x2 + x1:x2:x3`, written out by
    /// hand: x2's slope is b_x2 + b_region + b_x1x2x3·x1·x3, so its effect goes through the
    /// region's slope and the three-way product; x1's and x3's only through the product.
    struct HandWrittenProbit {
        var x1: [Double], x2: [Double], x3: [Double], region: [String]

        init(_ project: TemporaryProject) throws {
            let (table, _) = try CSVReader.read(contentsOf: project.root.appendingPathComponent("data/m2_panel.csv"), displayPath: "m2_panel.csv")
            (x1, x2, x3) = (table["x1"]!.numericValues()!, table["x2"]!.numericValues()!, table["x3"]!.numericValues()!)
            region = (0..<table.rowCount).map { table["region"]![$0].description }
        }

        static func phi(_ z: Double) -> Double { exp(-z * z / 2) / (2 * Double.pi).squareRoot() }

        /// √(J V J') with the Jacobian of `effect` in the coefficients by central differences.
        static func deltaMethodStandardError(_ estimates: [Double], _ covariance: [[Double]], _ effect: ([Double]) -> Double) -> Double {
            let jacobian = estimates.indices.map { k -> Double in
                let h = 1e-6 * max(abs(estimates[k]), 1)
                var up = estimates, down = estimates
                up[k] += h
                down[k] -= h
                return (effect(up) - effect(down)) / (2 * h)
            }
            var variance = 0.0
            for i in jacobian.indices { for j in jacobian.indices { variance += jacobian[i] * covariance[i][j] * jacobian[j] } }
            return variance.squareRoot()
        }
        static func Phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

        /// x'b of row i with x1, x2, x3 moved by `shift`.
        func index(_ b: [String: Double], _ i: Int, _ shift: [Double] = [0, 0, 0]) -> Double {
            let (a, c, d) = (x1[i] + shift[0], x2[i] + shift[1], x3[i] + shift[2])
            return b["(Intercept)"]! + b["x1"]! * a + b["x2"]! * c + (b["region::\(region[i]):x2"] ?? 0) * c + b["x1:x2:x3"]! * a * c * d
        }

        /// ∂(x'b)/∂x_v of row i, by hand.
        func slope(_ b: [String: Double], _ i: Int, _ v: Int) -> Double {
            switch v {
            case 0: return b["x1"]! + b["x1:x2:x3"]! * x2[i] * x3[i]
            case 1: return b["x2"]! + (b["region::\(region[i]):x2"] ?? 0) + b["x1:x2:x3"]! * x1[i] * x3[i]
            default: return b["x1:x2:x3"]! * x1[i] * x2[i]
            }
        }

        /// The AME of variable v: mean φ(x'b)·∂(x'b)/∂x_v.
        func averageEffect(_ b: [String: Double], _ v: Int) -> Double {
            x1.indices.reduce(0) { $0 + Self.phi(index(b, $1)) * slope(b, $1, v) } / Double(x1.count)
        }

        /// The same by central differences of mean Φ(x'b) in x_v.
        func numericalAverageEffect(_ b: [String: Double], _ v: Int, step h: Double = 1e-6) -> Double {
            var up = [0.0, 0, 0], down = [0.0, 0, 0]
            (up[v], down[v]) = (h, -h)
            return x1.indices.reduce(0) { $0 + (Self.Phi(index(b, $1, up)) - Self.Phi(index(b, $1, down))) / (2 * h) } / Double(x1.count)
        }

        /// x'b at Stata's atmeans point: x1, x2, x3 at their means (x_v moved by `shift`), the
        /// region indicators at their shares, the product at the product of the means.
        func indexAtMeans(_ b: [String: Double], _ v: Int, _ shift: Double = 0) -> Double {
            let n = Double(x1.count)
            var m = [x1, x2, x3].map { $0.reduce(0, +) / n }
            m[v] += shift
            let slopes = Dictionary(grouping: region, by: { $0 }).reduce(0.0) { $0 + (b["region::\($1.key):x2"] ?? 0) * Double($1.value.count) / n }
            return b["(Intercept)"]! + b["x1"]! * m[0] + b["x2"]! * m[1] + slopes * m[1] + b["x1:x2:x3"]! * m[0] * m[1] * m[2]
        }

        /// The effect at the means: φ(x̄'b)·∂(x̄'b)/∂x̄_v, the derivative by central differences of
        /// the (linear in x̄_v) index, exact to rounding.
        func effectAtMeans(_ b: [String: Double], _ v: Int) -> Double {
            Self.phi(indexAtMeans(b, v)) * (indexAtMeans(b, v, 0.5) - indexAtMeans(b, v, -0.5))
        }

        /// The same by central differences of Φ.
        func numericalEffectAtMeans(_ b: [String: Double], _ v: Int, step h: Double = 1e-5) -> Double {
            (Self.Phi(indexAtMeans(b, v, h)) - Self.Phi(indexAtMeans(b, v, -h))) / (2 * h)
        }
    }

    @Test("margins through a factor's slopes and a three-way product (high ~ x1 + x2 + i(region):x2 + x1:x2:x3): AMEs equal the hand-written derivative (1e-10) and a numerical derivative (1e-7), delta-method SEs a numerical Jacobian (1e-6); at Stata's atmeans point likewise (numerical: 1e-9 absolute)")
    func marginsThroughFactorSlopesAndThreeWayProducts() throws {
        let project = try GeneralizedLinearStageTests.binaryPanel(stages: """
              average: {uses: models.probit@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + x2 + i(region):x2 + x1:x2:x3", margins: average}}
              atmeans: {uses: models.probit@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + x2 + i(region):x2 + x1:x2:x3", margins: at-means}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let model = try HandWrittenProbit(project)
        for stage in ["average", "atmeans"] {
            let fit = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/\(stage)/fit.json").utf8))
            let rows = try #require(fit.mapValue?["coefficients"]?.listValue)
            let names = rows.map { $0.mapValue!["name"]!.stringValue! }
            #expect(names == ["(Intercept)", "x1", "x2", "region::east:x2", "region::west:x2", "x1:x2:x3"])
            let estimates = rows.map { $0.mapValue!["estimate"]!.doubleValue! }
            let covariance = try #require(fit.mapValue?["vcov_matrix"]?.listValue).map { $0.listValue!.map { $0.doubleValue! } }
            let effects = ModelStageTests.coefficients(fit, "margins")
            #expect(effects.keys.sorted() == ["x1", "x2", "x3"])
            func coefficients(_ values: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(names, values)) }
            let b = coefficients(estimates)
            for (v, name) in ["x1", "x2", "x3"].enumerated() {
                let reported = try #require(effects[name]?["estimate"]?.doubleValue)
                let se = try #require(effects[name]?["se"]?.doubleValue)
                let effect: ([String: Double]) -> Double = stage == "average" ? { model.averageEffect($0, v) } : { model.effectAtMeans($0, v) }
                if stage == "average" {
                    #expect(ModelStageTests.relative(reported, effect(b)) < 1e-10, "\(name): \(reported) vs \(effect(b))")
                    #expect(ModelStageTests.relative(reported, model.numericalAverageEffect(b, v)) < 1e-7, "\(name) numerical")
                } else {
                    #expect(ModelStageTests.relative(reported, effect(b)) < 1e-10, "\(name) at means: \(reported) vs \(effect(b))")
                    #expect(abs(reported - model.numericalEffectAtMeans(b, v)) < 1e-9, "\(name) at means, numerical")
                }
                // The delta method with a Jacobian by central differences in each coefficient.
                let numerical = HandWrittenProbit.deltaMethodStandardError(estimates, covariance) { effect(coefficients($0)) }
                #expect(ModelStageTests.relative(se, numerical) < 1e-6, "\(stage) \(name) SE: \(se) vs \(numerical)")
            }
        }
    }

    @Test("margins of a factor (high ~ x1 + i(region) + i(region):x2): each region's discrete change from central, F(x'b at that region) − F(x'b at central) with its dummy and its slope on x2, averaged and at the means, equals the hand-written change (1e-10), its delta-method SE a numerical Jacobian (1e-6); x1's and x2's derivatives are reported beside them", arguments: ["probit", "logit"])
    func discreteChanges(family: String) throws {
        let project = try GeneralizedLinearStageTests.binaryPanel(stages: """
              model: {uses: models.\(family)@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + i(region) + i(region):x2", margins: average}}
              atmeans: {uses: models.\(family)@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + i(region) + i(region):x2", margins: at-means}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let model = try HandWrittenProbit(project)
        for stage in ["model", "atmeans"] {
            let fit = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/\(stage)/fit.json").utf8))
            let rows = try #require(fit.mapValue?["coefficients"]?.listValue)
            let names = rows.map { $0.mapValue!["name"]!.stringValue! }
            let estimates = rows.map { $0.mapValue!["estimate"]!.doubleValue! }
            let covariance = try #require(fit.mapValue?["vcov_matrix"]?.listValue).map { $0.listValue!.map { $0.doubleValue! } }
            let effects = ModelStageTests.coefficients(fit, "margins")
            #expect(Set(effects.keys) == ["x1", "x2", "region::east", "region::west"], "\(effects.keys.sorted())")
            func cdf(_ z: Double) -> Double { family == "probit" ? HandWrittenProbit.Phi(z) : 1 / (1 + exp(-z)) }
            let n = Double(model.x1.count), mean1 = model.x1.reduce(0, +) / n, mean2 = model.x2.reduce(0, +) / n
            func change(_ values: [Double], to level: String) -> Double {
                let b = Dictionary(uniqueKeysWithValues: zip(names, values))
                func index(_ x1: Double, _ x2: Double, _ region: String) -> Double {
                    b["(Intercept)"]! + b["x1"]! * x1 + (b["i(region)_\(region)"] ?? 0) + b["region::\(region):x2"]! * x2
                }
                // At the means: x1 and x2 at theirs, the region switched (Stata's atmeans).
                if stage == "atmeans" { return cdf(index(mean1, mean2, level)) - cdf(index(mean1, mean2, "central")) }
                return model.x1.indices.reduce(0) { $0 + cdf(index(model.x1[$1], model.x2[$1], level)) - cdf(index(model.x1[$1], model.x2[$1], "central")) } / n
            }
            for level in ["east", "west"] {
                let reported = try #require(effects["region::\(level)"]?["estimate"]?.doubleValue), se = try #require(effects["region::\(level)"]?["se"]?.doubleValue)
                #expect(ModelStageTests.relative(reported, change(estimates, to: level)) < 1e-10, "\(level): \(reported) vs \(change(estimates, to: level))")
                let numerical = HandWrittenProbit.deltaMethodStandardError(estimates, covariance) { change($0, to: level) }
                #expect(ModelStageTests.relative(se, numerical) < 1e-6, "\(stage) \(level) SE: \(se) vs \(numerical)")
            }
        }
    }

    @Test("margins with a variable that also enters through a function of it (x1 + I(x1^2)) are refused: the effect through the function is not computed")
    func marginsThroughFunctionsRefused() throws {
        let project = try GeneralizedLinearStageTests.binaryPanel(stages: """
              square: {uses: models.probit@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + I(x1^2)", margins: average}}
              lagged: {uses: models.probit@2, inputs: {table: derived.table}, with: {formula: "high ~ x1 + l(x1)", panel: {unit: province, time: year}, margins: average}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message) })
        #expect(messages["square"] == "formula 'high ~ x1 + I(x1^2)': the marginal effect of x1 runs through both 'x1' and 'I(x1^2)', and effects through a function of a variable are not computed; use margins: none, or make the function a column of its own with data.derive")
        // A lag is another period's value, a variable of its own (Stata's L.x1).
        let statuses = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.status) })
        #expect(statuses["lagged"] == .ran, "\(String(describing: messages["lagged"]))")
    }
}

/// Functions in formulas (issue 21 point 1): log(), I(), x^2, poly() evaluated by the expression
/// engine, rows where a function is undefined dropped and counted.
@Suite("Formula functions")
struct FormulaFunctionTests {
    @Test("log(y + 3) ~ log(x1 + 2) + I(x2^2) + x3^2 + poly(x4, 2) | province + year equals pyfixest on columns computed in pandas (1e-8, SEs 1e-6); the 62 rows with an undefined log are dropped and counted")
    func functions() throws {
        struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double]; var nobs: Int; var dropped: Int }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/functions_pyfixest.json")))
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "log(y + 3) ~ log(x1 + 2) + I(x2^2) + x3^2 + poly(x4, 2) | province + year", vcov: {cluster: [province]}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        let rows = ModelStageTests.coefficients(fit)
        #expect(rows.count == reference.terms.count, "\(rows.keys.sorted())")
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se, estimateTolerance: 1e-8, seTolerance: 1e-6)
        #expect(fit.mapValue?["observations"] == .int(Int64(reference.nobs)))
        #expect(fit.mapValue?["observations_dropped_missing"] == .int(Int64(reference.dropped)))
        #expect(fit.mapValue?["formula"] == .string("log(y + 3) ~ log(x1 + 2) + I(x2^2) + x3^2 + poly(x4, 2)1 + poly(x4, 2)2 | province + year"))
    }

    @Test("the parser reads functions as fixest writes them and locates what it cannot")
    func parsing() throws {
        let formula = try Formula("log(trade) ~ x^2 + I(a / b) + sqrt(z):w")
        #expect(formula.outcome == "log(trade)" && formula.outcomeExpression == "log(trade)")
        #expect(formula.terms.map(\.name) == ["x^2", "I(a / b)", "sqrt(z):w"])
        #expect(formula.variables == ["trade", "x", "a", "b", "z", "w"])
        for (text, column, message) in [
            ("y ~ lg(x)", 5, "unknown function 'lg'; formulas take i(), factor(), I(), poly(), log(), log1p(), exp(), sqrt(), abs(), l(), f(), d()"),
            ("y ~ I(x + median(z))", 11, "unknown function 'median'; available: abs, cumsum, d, exp, f, ifelse, is_missing, l, log, log1p, max, mean, min, one_of, rank, round, scale, sqrt, substr, sum"),
            ("y ~ x^0.5", 7, "expected a whole power after '^', e.g. x^2"),
            ("y ~ poly(x, 2, raw = TRUE)", 14, "poly() takes raw powers only, poly(x, k); orthogonal polynomials are not computed"),
        ] {
            #expect(throws: FormulaError(message: message, column: column)) { try Formula(text) }
        }
    }
}

/// Panel operators l(), f(), d() (issue 21 point 2): shifted by time value within each unit.
@Suite("Panel operators")
struct PanelOperatorTests {
    @Test("l(x2, 1) + f(x3, 1) + d(x4) + l(x5, 1:2) on a panel with gaps equal pyfixest on lags merged by year in pandas (1e-8, SEs 1e-6), N 210 of 382 rows")
    func lags() throws {
        struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double]; var nobs: Int; var rows: Int }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/lags_pyfixest.json")))
        let project = try ModelStageTests.project(data: "panel_gaps.csv", model: """
            uses: models.fe@2
            with:
              formula: "y ~ x1 + l(x2, 1) + f(x3, 1) + d(x4) + l(x5, 1:2) | province + year"
              panel: {unit: province, time: year}
              vcov: {cluster: [province]}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se, estimateTolerance: 1e-8, seTolerance: 1e-6)
        #expect(fit.mapValue?["observations"] == .int(Int64(reference.nobs)))
        #expect(fit.mapValue?["observations_dropped_missing"] == .int(Int64(reference.rows - reference.nobs)))
    }

    @Test("a lag without panel: is a validation error at the formula; a panel with two rows for one unit and period is refused with both rows")
    func refusals() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/d.csv", "firm,year,y,x\nA,2001,1,0.5\nA,2002,2,1.5\nA,2002,3,2.5\nB,2001,4,0.1\n")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/d.csv}}
              nopanel: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ l(x, 1)"}}
            """)
        do {
            _ = try project.graph("Workflows/m.yaml", registry: BuiltinStages.registry)
            Issue.record("a lag without panel: validated")
        } catch let error as DiagnosticsError {
            #expect(error.diagnostics.map(\.headline) == ["Workflows/m.yaml:4:78: error: formula 'y ~ l(x, 1)': l(x, 1) needs the panel it shifts along"])
        }
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/d.csv}}
              twice: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ l(x, 1)", panel: {unit: firm, time: year}}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        #expect(run.record.stages.first { $0.stage == "twice" }?.message
                == "formula 'y ~ l(x, 1)': firm A has two rows for year 2002 (rows 2 and 3); a panel needs one row per unit and period")
    }
}

/// fixest's event-study coding (issue 21 point 3): i(f, x, ref = k) and i(f, ref = k).
@Suite("Event studies")
struct EventStudyTests {
    @Test("y ~ i(rel, treated, ref = -1) | province + year and y ~ x1 + i(region, ref = west) equal pyfixest's feols with the same syntax, term for term (1e-8, SEs 1e-6)",
          arguments: [("event", "y ~ i(rel, treated, ref = -1) | province + year", "{cluster: [province]}"),
                      ("reference", "y ~ x1 + i(region, ref = west)", "classical")])
    func event(name: String, formula: String, vcov: String) throws {
        struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double] }
        let reference = try #require(try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/event_pyfixest.json")))[name])
        let project = try ModelStageTests.project(data: "event_panel.csv", model: """
            uses: \(name == "event" ? "models.fe@2" : "models.ols@2")
            with: {formula: "\(formula)", vcov: \(vcov)}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        let names = fit.mapValue?["coefficients"]?.listValue?.compactMap { $0.mapValue?["name"]?.stringValue } ?? []
        #expect(names == reference.terms.map { $0 == "Intercept" ? "(Intercept)" : $0 })
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se, estimateTolerance: 1e-8, seTolerance: 1e-6)
    }

    @Test("a reference level the factor does not have is refused with its levels; the parser reads ref quoted or bare")
    func references() throws {
        #expect(try Formula("y ~ i(rel, treated, ref = -1)").terms.map(\.name) == ["i(rel, ref = -1):treated"])
        #expect(try Formula("y ~ i(region, ref = \"North East\")").terms.first?.variables.first?.reference == "North East")
        #expect(throws: FormulaError(message: "i() takes i(f), i(f, x), i(f, ref = level) or i(f, x, ref = level)", column: 13)) {
            try Formula("y ~ i(a, b, c)")
        }
        let project = try ModelStageTests.project(data: "event_panel.csv", model: """
            uses: models.ols@2
            with: {formula: "y ~ i(region, ref = north)"}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "model" }?.message
                == "formula 'y ~ i(region, ref = north)': i(region, ref = north): region has no level 'north' (levels: central, east, west)")
    }
}

/// Wald tests of linear restrictions (issue 21 point 5) against statsmodels' wald_test.
@Suite("Wald tests")
struct WaldTestTests {
    static let tests = ["b[x1] = b[x2]", "b[x1] = 0, b[x2] = 0", "2*b[x1] - b[x3] = 0.5"]

    @Test("OLS (classical, hc1: F) and logit (χ²) equal statsmodels' wald_test (statistics 1e-8, p 1e-6); tables.regression prints a row per test",
          arguments: [("ols_nonrobust", "models.ols@2", "y", "classical"), ("ols_HC1", "models.ols@2", "y", "hc1"), ("logit", "models.logit@2", "high", "classical")])
    func wald(name: String, uses: String, outcome: String, vcov: String) throws {
        let reference = try #require(try JSONDecoder().decode([String: [String: [String: Double]]].self,
                                                             from: Data(contentsOf: Fixtures.url("models/wald_statsmodels.json")))[name])
        let project = try GeneralizedLinearStageTests.binaryPanel(stages: """
              model:
                uses: \(uses)
                inputs: {table: derived.table}
                with:
                  formula: "\(outcome) ~ x1 + x2 + x3"
                  vcov: \(vcov)
                  convention: statsmodels
                  tests: ["\(Self.tests.joined(separator: "\", \""))"]
              table: {uses: tables.regression@1, inputs: {fits: [model.fit]}, with: {statistics: [observations, tests]}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try JSONDecoder().decode(ParamValue.self, from: Data(project.read("Artifacts/m/model/fit.json").utf8))
        let tests = fit.mapValue?["tests"]?.listValue?.compactMap(\.mapValue) ?? []
        #expect(tests.count == 3)
        for test in tests {
            let restriction = try #require(test["restriction"]?.stringValue)
            let want = try #require(reference[restriction])
            #expect(ModelStageTests.relative(test["statistic"]!.doubleValue!, want["statistic"]!) < 1e-8, "\(name) \(restriction)")
            #expect(ModelStageTests.relative(test["p"]!.doubleValue!, want["p"]!) < 1e-6, "\(name) \(restriction) p")
            #expect(test["kind"] == .string(uses == "models.ols@2" ? "F" : "chi2"))
        }
        let table = try project.read("Artifacts/m/table/table.md")
        let statistic = String(format: "%.3f", reference["b[x1] = b[x2]"]!["statistic"]!)
        #expect(table.contains("| Wald: b[x1] = b[x2] | \(uses == "models.ols@2" ? "F" : "χ²") = \(statistic) [p = "), "\(table)")
    }

    @Test("a restriction naming a coefficient the fit lacks, or repeating itself, is refused with the position")
    func refusals() throws {
        var v = Matrix(rows: 2, columns: 2)
        v.values = [1, 0, 0, 1]
        #expect(throws: WaldTestError(message: "the fit has no coefficient 'x9' (it has x1, x2)", position: 1)) {
            try WaldTest("b[x9] = 0", names: ["x1", "x2"], coefficients: [1, 2], covariance: v, degrees: nil)
        }
        #expect(throws: WaldTestError(message: "the restrictions in 'b[x1] = 0, 2*b[x1] = 0' repeat one another (or test a coefficient with no variance); state each once", position: 1)) {
            try WaldTest("b[x1] = 0, 2*b[x1] = 0", names: ["x1", "x2"], coefficients: [1, 2], covariance: v, degrees: nil)
        }
        #expect(throws: WaldTestError(message: "expected '='", position: 7)) {
            try WaldTest("b[x1] ", names: ["x1", "x2"], coefficients: [1, 2], covariance: v, degrees: nil)
        }
    }
}

/// Newey–West and Driscoll–Kraay covariances (issue 21 point 5) against statsmodels.
@Suite("Kernel covariances")
struct KernelCovarianceTests {
    struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double] }

    @Test("newey_west on province 1's years (lag 2 and 3) and driscoll_kraay on the panel (lag 2) equal statsmodels' HAC and hac-groupsum within 1e-10",
          arguments: [("nw_2", "y ~ x1 + x2", "province == 1", "{newey_west: {time: year, lag: 2}}"),
                      ("nw_3", "y ~ x1 + x2", "province == 1", "{newey_west: {time: year, lag: 3}}"),
                      ("dk_2", "y ~ x1 + x2 + x3", "", "{driscoll_kraay: {time: year, lag: 2}}")])
    func kernel(name: String, formula: String, subset: String, vcov: String) throws {
        let reference = try #require(try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/hac_statsmodels.json")))[name])
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.ols@2
            with: {formula: "\(formula)", subset: "\(subset)", vcov: \(vcov), convention: statsmodels}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let rows = ModelStageTests.coefficients(try ModelStageTests.fit(project))
        for (index, term) in reference.terms.enumerated() {
            let row = try #require(rows[term == "Intercept" ? "(Intercept)" : term])
            #expect(ModelStageTests.relative(row["se"]!.doubleValue!, reference.se[index]) < 1e-10, "\(name) \(term): \(row["se"]!) vs \(reference.se[index])")
        }
    }

    @Test("newey_west on a panel, or under fixest's convention, is refused with what to use; the default lag is Newey & West's plug-in")
    func refusals() throws {
        #expect(KernelCovariance.defaultLags(periods: 14) == 2 && KernelCovariance.defaultLags(periods: 100) == 4 && KernelCovariance.defaultLags(periods: 500) == 5)
        for (vcov, convention, message) in [
            ("{newey_west: {time: year}}", "statsmodels", "newey_west needs one row per period, but 420 rows share 14 periods; for a panel use driscoll_kraay (or cluster)"),
            ("{driscoll_kraay: {time: year}}", "fixest", "vcov: driscoll-kraay: year is computed as statsmodels' hac-groupsum computes it; set convention: statsmodels"),
        ] {
            let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
                uses: models.ols@2
                with: {formula: "y ~ x1", vcov: \(vcov), convention: \(convention)}
                """)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
            #expect(run.record.stages.first { $0.stage == "model" }?.message == message)
        }
    }
}

/// singletons: drop (issue 20 point 4): reghdfe's and pyfixest's default.
@Suite("Singletons")
struct SingletonTests {
    @Test("singletons: drop leaves out the one province-year alone in its level and equals pyfixest's default fit (1e-8, SEs 1e-6); keep is fixest's")
    func singletons() throws {
        struct Reference: Decodable {
            struct Fit: Decodable { var coef: [Double]; var se: [Double]; var nobs: Int }
            var terms: [String]
            var nobs: Int
            var singletons_dropped: Fit
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/functions_pyfixest.json")))
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with:
              formula: "log(y + 3) ~ log(x1 + 2) + I(x2^2) + x3^2 + poly(x4, 2) | province + year"
              vcov: {cluster: [province]}
              singletons: drop
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        #expect(fit.mapValue?["observations"] == .int(Int64(reference.singletons_dropped.nobs)))
        #expect(fit.mapValue?["observations_singletons"] == .int(Int64(reference.nobs - reference.singletons_dropped.nobs)))
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.singletons_dropped.coef, standardErrors: reference.singletons_dropped.se,
                                        estimateTolerance: 1e-8, seTolerance: 1e-6)
    }
}
