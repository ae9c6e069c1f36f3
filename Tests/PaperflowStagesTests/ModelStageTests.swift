import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// The `models.*` stages in a workflow, on the shared fixtures: the fit artifact carries the
/// estimates the PaperflowStats tests check against the references, under the convention the
/// stage parameters name.
@Suite("Model stages")
struct ModelStageTests {
    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    /// A project holding `data` (a fixture CSV from `folder`) and a workflow of `io.csv` → the
    /// given stage, named `model`.
    static func project(data fixture: String, model: String, folder: String = "models") throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "\(folder)/\(fixture)", to: "data/\(fixture)")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data:
                uses: io.csv@2
                with: {path: data/\(fixture)}
              model:
            \(model.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                inputs: {table: data.table}
            """)
        return project
    }

    static func fit(_ project: TemporaryProject) throws -> ParamValue {
        try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/model/fit.json").utf8))
    }

    /// Expects each reference term in `fit` (statsmodels' `Intercept` is our `(Intercept)`) with its
    /// estimate and standard error within the relative tolerances.
    static func expectTerms(_ fit: ParamValue, _ terms: [String], estimates: [Double], standardErrors: [Double],
                            estimateTolerance: Double, seTolerance: Double, _ context: String = "",
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let rows = coefficients(fit)
        for (index, term) in terms.enumerated() {
            let row = try #require(rows[term == "Intercept" ? "(Intercept)" : term], "\(context) \(term) in \(rows.keys.sorted())", sourceLocation: sourceLocation)
            #expect(relative(row["estimate"]!.doubleValue!, estimates[index]) < estimateTolerance, "\(context) \(term)", sourceLocation: sourceLocation)
            #expect(relative(row["se"]!.doubleValue!, standardErrors[index]) < seTolerance,
                    "\(context) \(term) se: \(row["se"]!) vs \(standardErrors[index])", sourceLocation: sourceLocation)
        }
    }

    static func coefficients(_ fit: ParamValue, _ key: String = "coefficients") -> [String: [String: ParamValue]] {
        let rows = (key == "coefficients" ? fit.mapValue?["coefficients"] : fit.mapValue?["margins"]?.mapValue?["effects"])?.listValue ?? []
        return Dictionary(uniqueKeysWithValues: rows.compactMap(\.mapValue).map { ($0["name"]!.stringValue!, $0) })
    }

    @Test("vcov: hc2 and hc3 equal statsmodels' HC2 and HC3 (1e-8), with province dummies as i() terms too; with absorbed FE they are refused with the fix")
    func leverageCorrected() throws {
        struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double] }
        let references = try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/hc23_statsmodels.json")))
        for (name, formula) in [("plain", "y ~ x1 + x2 + x3"), ("dummies", "y ~ x1 + x2 + x3 + i(province)")] {
            for kind in ["HC2", "HC3"] {
                let project = try Self.project(data: "m2_panel.csv", model: """
                    uses: models.ols@2
                    with: {formula: "\(formula)", vcov: \(kind.lowercased())}
                    """)
                defer { project.cleanUp() }
                let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
                #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
                let rows = Self.coefficients(try Self.fit(project))
                let reference = try #require(references["\(name)_\(kind)"])
                #expect(rows.count == reference.terms.count)
                for (term, se) in zip(reference.terms, reference.se) where !term.hasPrefix("C(") {
                    let ours = term == "Intercept" ? "(Intercept)" : term
                    let row = try #require(rows[ours], "\(ours) in \(rows.keys.sorted())")
                    #expect(Self.relative(row["se"]!.doubleValue!, se) < 1e-8, "\(name) \(kind) \(term): \(row["se"]!) vs \(se)")
                }
                // The 29 province dummies, in statsmodels' order (levels 2…30), against ours.
                let dummies = zip(reference.terms, reference.se).filter { $0.0.hasPrefix("C(") }.map(\.1)
                let ourDummies = rows.filter { $0.key.contains("province") }.sorted {
                    Int($0.key.split(whereSeparator: { !$0.isNumber }).last ?? "0")! < Int($1.key.split(whereSeparator: { !$0.isNumber }).last ?? "0")!
                }.map { $0.value["se"]!.doubleValue! }
                #expect(ourDummies.count == dummies.count)
                for (got, want) in zip(ourDummies, dummies) { #expect(Self.relative(got, want) < 1e-8, "\(name) \(kind) dummy") }
            }
        }
        let project = try Self.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ x1 | province", vcov: hc3}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "model" }?.message
                == "hc3 needs each observation's leverage, which absorbed fixed effects hide; use hc1 or a cluster, or enter the effects as i(f) terms")
    }

    @Test("a logit whose undamped Newton from β = 0 runs off to |β| ≈ 1e9 (the fit was refused as 'collinear'): with step halving it converges to statsmodels' GLM estimate (coefficients 1e-10, SEs 1e-8)")
    func newtonStepHalving() throws {
        let reference = try JSONDecoder().decode(NewtonReference.self, from: Data(contentsOf: Fixtures.url("models/newton_reference.json")))
        #expect(reference.newton_diverges)
        let project = try Self.project(data: "newton_overshoot.csv", model: """
            uses: models.logit@2
            with: {formula: "y ~ x1 + x2", convention: statsmodels}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        try Self.expectTerms(try Self.fit(project), reference.terms, estimates: reference.coef, standardErrors: reference.se,
                             estimateTolerance: 1e-10, seTolerance: 1e-8)
    }

    struct NewtonReference: Decodable {
        var terms: [String]
        var coef: [Double]
        var se: [Double]
        var newton_diverges: Bool
    }

    struct StataReference: Decodable {
        var terms: [String]
        var nobs: Int
        var coef: [Double]
        var se_iid: [Double]
        var se_hc1: [Double]
        var se_cluster: [Double]
    }

    @Test("convention: stata follows reghdfe's rules (singletons dropped, firm effects nested in the firm clusters not counted: pyfixest's defaults; classical and robust as OLS with dummies on the same rows), stata-areg areg's (every level counted: statsmodels OLS with dummies on all rows) — coefficients 1e-10, SEs 1e-8",
          arguments: ["stata", "stata-areg"])
    func stataConventions(convention: String) throws {
        let all = try JSONDecoder().decode([String: StataReference].self, from: Data(contentsOf: Fixtures.url("models/stata_reference.json")))
        let reference = try #require(all[convention == "stata" ? "reghdfe" : "areg"])
        for (vcov, expected) in [("classical", reference.se_iid), ("hc1", reference.se_hc1), ("{cluster: [firm]}", reference.se_cluster)] {
            let project = try Self.project(data: "stata_panel.csv", model: """
                uses: models.fe@2
                with: {formula: "y ~ x1 + x2 | firm + year", vcov: \(vcov), convention: \(convention)}
                """)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
            #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
            let fit = try Self.fit(project)
            try Self.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: expected,
                                 estimateTolerance: 1e-10, seTolerance: 1e-8, "\(convention) \(vcov)")
            let map = try #require(fit.mapValue)
            #expect(map["observations"]?.intValue == Int64(reference.nobs))
            #expect(map["observations_singletons"]?.intValue == (convention == "stata" ? 8 : nil))
        }
    }

    @Test("a weakly connected panel (a chain of 200 links): the default 10,000 sweeps refuse the fit and say what to raise; max_sweeps raised, models.fe equals statsmodels with every dummy (coefficient 1e-10, SE 1e-8)")
    func weaklyConnectedPanel() throws {
        let reference = try JSONDecoder().decode([String: Double].self, from: Data(contentsOf: Fixtures.url("models/chain_statsmodels.json")))
        for sweeps in [nil, 1_000_000] {
            let project = try Self.project(data: "chain_panel.csv", model: """
                uses: models.fe@2
                with: {formula: "y ~ x | a + b", vcov: classical\(sweeps.map { ", max_sweeps: \($0)" } ?? "")}
                """)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
            guard sweeps != nil else {
                #expect(!run.summary.succeeded)
                #expect(run.record.stages.compactMap(\.message).contains { $0.contains(
                    "demeaning 'outcome' did not converge in 10000 sweeps (tolerance 1e-13); the fit is not given. A weakly connected panel (long chains of units linked through few observations) converges slowly: raise max_sweeps or loosen demeaning_tolerance") },
                        "\(run.record.stages.compactMap(\.message))")
                #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/m/model/fit.json").path))
                continue
            }
            #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
            let row = try #require(try Self.fit(project).mapValue?["coefficients"]?.listValue?.first?.mapValue)
            #expect(Self.relative(row["estimate"]!.doubleValue!, reference["coef_x"]!) < 1e-10)
            #expect(Self.relative(row["se"]!.doubleValue!, reference["se_x"]!) < 1e-8)
        }
    }

    @Test("a probit or logit of an outcome coded 1/2 is refused with the row, the values and the recode (it fitted Φ(3z) silently)")
    func binaryOutcomeChecked() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        var lines = ["y,x"]
        for i in 0..<40 { lines.append("\(i % 3 == 0 ? 2 : 1),\(Double(i) / 10)") }
        try project.write("data/d.csv", lines.joined(separator: "\n") + "\n")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/d.csv}}
              probit: {uses: models.probit@2, inputs: {table: data.table}, with: {formula: "y ~ x"}}
              logit: {uses: models.logit@2, inputs: {table: data.table}, with: {formula: "y ~ x"}}
              lpm: {uses: models.lpm@2, inputs: {table: data.table}, with: {formula: "y ~ x"}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message) })
        #expect(messages["probit"] == "probit needs an outcome of 0 and 1, but 'y' is 2.0 in row 1 (its values: 1, 2); recode it first, e.g. data.derive \"y = ifelse(y == 2, 1, 0)\"")
        #expect(messages["logit"]??.hasPrefix("logit needs an outcome of 0 and 1") == true)
        #expect(messages["lpm"] == .some(nil), "a linear probability model takes any number")
    }

    @Test("models.fe on the M2 panel clustered by province: fixest's coefficients and SEs, t(G − 1) p-values")
    func fixedEffects() throws {
        let project = try Self.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ x1 + x2 + x3 + x4 + x5 + x6 | province + year", vcov: {cluster: [province]}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        let fit = try Self.fit(project)
        struct Reference: Decodable {
            struct Sample: Decodable { var coef: [Double]; var se_cluster: [String: [Double]] }
            var samples: [String: Sample]
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m2_reference_numpy.json"))).samples["all"]!
        let fixestSE = try #require(reference.se_cluster.first { $0.key.contains("fixest/pyfixest default") }?.value)
        let rows = Self.coefficients(fit)
        for (index, name) in ["x1", "x2", "x3", "x4", "x5", "x6"].enumerated() {
            let row = try #require(rows[name])
            #expect(Self.relative(row["estimate"]!.doubleValue!, reference.coef[index]) < 1e-10)
            #expect(Self.relative(row["se"]!.doubleValue!, fixestSE[index]) < 1e-8)
            // t with G − 1 = 29 degrees of freedom, two-sided.
            let t = row["statistic"]!.doubleValue!
            #expect(row["p"]!.doubleValue! == Distribution.tTwoSided(t, degrees: 29))
        }
        #expect(fit.mapValue?["observations"] == .int(420))
        #expect(fit.mapValue?["fixed_effects"] == .list([.map(["name": .string("province"), "levels": .int(30)]),
                                                          .map(["name": .string("year"), "levels": .int(14)])]))
        #expect(fit.mapValue?["vcov"] == .string("cluster: province"))
    }

    @Test("models.probit with average marginal effects matches the numpy reference; swapping to logit reruns only the model")
    func probitThenLogit() throws {
        let model = { (family: String) in """
            uses: models.\(family)@2
            with: {formula: "export ~ density_firm*density_city + ln_tradevalue + ln_newexport | year + hs2", vcov: {cluster: [firm]}, margins: average}
            """ }
        let project = try Self.project(data: "m1_100k.csv", model: model("probit"))
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        struct Reference: Decodable {
            var names: [String]
            var coef: [Double]
            var se: [String: [Double]]
            var ame_interaction_aware_names: [String]
            var ame_interaction_aware: [Double]
            var ame_se: [String: [Double]]
        }
        for family in ["probit", "logit"] {
            if family == "logit" {
                try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml").replacingOccurrences(of: "models.probit", with: "models.logit"))
                let rerun = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
                #expect(rerun.summary.succeeded)
                #expect(rerun.summary.ran == ["model"])
                #expect(rerun.summary.cached == ["data"])
            }
            let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m1_100k_\(family).json")))
            let fit = try Self.fit(project)
            #expect(fit.mapValue?["estimator"] == .string(family))
            let rows = Self.coefficients(fit)
            let convention = "cluster_expected_x_G/(G-1)*(N-1)/(N-K)"
            for (index, name) in reference.names.enumerated() {
                let row = try #require(rows[name == "intercept" ? "(Intercept)" : name])
                #expect(Self.relative(row["estimate"]!.doubleValue!, reference.coef[index]) < 1e-8, "\(family) \(name)")
                #expect(Self.relative(row["se"]!.doubleValue!, reference.se[convention]![index]) < 1e-6, "\(family) \(name) SE")
            }
            let effects = Self.coefficients(fit, "margins")
            let ses = reference.ame_se["interaction_aware|\(convention)"]!
            for (index, name) in reference.ame_interaction_aware_names.enumerated() {
                let effect = try #require(effects[name])
                #expect(Self.relative(effect["estimate"]!.doubleValue!, reference.ame_interaction_aware[index]) < 1e-8)
                #expect(Self.relative(effect["se"]!.doubleValue!, ses[index]) < 1e-6)
            }
        }
    }

    @Test("split: region fits one model per region, each the numpy reference's; subset selects the same rows; the table titles columns by group")
    func splitAndSubset() throws {
        let project = try Self.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ x1 + x2 + x3 + x4 + x5 + x6 | province + year", vcov: {cluster: [province]}, split: region}
            """)
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", try project.read("Workflows/m.yaml") + """

              east:
                uses: models.fe@2
                inputs: {table: data.table}
                with: {formula: "y ~ x1 + x2 + x3 + x4 + x5 + x6 | province + year", vcov: {cluster: [province]}, subset: "region == 'east'"}
              table:
                uses: tables.regression@1
                inputs: {fits: [model.fit]}
                with: {order: [x1], statistics: [observations]}

            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        struct Reference: Decodable {
            struct Sample: Decodable { var N: Int; var coef: [Double]; var se_cluster: [String: [Double]] }
            var samples: [String: Sample]
        }
        let references = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m2_reference_numpy.json"))).samples
        let fit = try Self.fit(project)
        #expect(fit.mapValue?["split"] == .string("region"))
        let groups = fit.mapValue?["groups"]?.listValue ?? []
        #expect(groups.map { $0.mapValue?["group"] } == [.string("central"), .string("east"), .string("west")])
        func check(_ group: ParamValue, against reference: Reference.Sample) throws {
            let rows = Self.coefficients(group)
            let fixestSE = try #require(reference.se_cluster.first { $0.key.contains("fixest/pyfixest default") }?.value)
            #expect(group.mapValue?["observations"] == .int(Int64(reference.N)))
            for (index, name) in ["x1", "x2", "x3", "x4", "x5", "x6"].enumerated() {
                let row = try #require(rows[name])
                #expect(Self.relative(row["estimate"]!.doubleValue!, reference.coef[index]) < 1e-10)
                #expect(Self.relative(row["se"]!.doubleValue!, fixestSE[index]) < 1e-8)
            }
        }
        for group in groups { try check(group, against: references[group.mapValue!["group"]!.stringValue!]!) }
        let east = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/east/fit.json").utf8))
        #expect(east.mapValue?["subset"] == .string("region == 'east'"))
        try check(east, against: references["east"]!)
        #expect(Self.coefficients(east) == Self.coefficients(groups[1]))
        let markdown = try project.read("Artifacts/m/table/table.md")
        #expect(markdown.hasPrefix("|  | central | east | west |\n"))
        #expect(markdown.contains("| Observations | \(references["central"]!.N) | \(references["east"]!.N) | \(references["west"]!.N) |"))
    }

    @Test("bad parameters fail the stage with a message that says what to change", arguments: [
        // A formula that does not parse is a validation error (Tests/Fixtures/diagnostics/formula.yaml).
        ("uses: models.fe@2\nwith: {formula: \"y ~ log(x9)\"}",
         "formula 'y ~ log(x9)': log(x9): no column 'x9'; the table has province, year, region, y, x1, x2, x3, x4, x5, x6"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x9\"}",
         "formula 'y ~ x9': the formula reads 'x9', which is not a column of the table (columns: province, year, region, y, x1, x2, x3, x4, x5, x6)"),
        ("uses: models.ols@2\nwith: {formula: \"y ~ x1 | year\"}", "models.ols has no fixed effects; use models.fe (or models.lpm) for 'y ~ x1 | year'"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", margins: average}",
         "margins: average is for probit and logit; a linear model's coefficients are its marginal effects"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", vcov: {cluster: [county]}}",
         "vcov's cluster names 'county', which is not a column of the table (columns: province, year, region, y, x1, x2, x3, x4, x5, x6)"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", subset: \"region = 'east'\"}",
         "subset 'region = 'east'': character 8: '=' is assignment; compare with '=='"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", split: zone}",
         "split names 'zone', which is not a column of the table (columns: province, year, region, y, x1, x2, x3, x4, x5, x6)"),
        ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", vcov: {cluster: [a, b, c]}}",
         "vcov takes classical, hc1 or {cluster: [var]} with one or two variables, e.g. {cluster: [firm]}"),
    ])
    func failures(model: String, message: String) throws {
        let project = try Self.project(data: "m2_panel.csv", model: model)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["model"])
        #expect(run.record.stages.first { $0.stage == "model" }?.message == message)
    }
}

/// `models.gaussian-mixture` in a workflow reproduces the PaperflowStats fixture result.
@Suite("Gaussian-mixture stage")
struct GaussianMixtureStageTests {
    @Test("three separated clusters: BIC picks 3 (scikit-learn's BIC to 1e-8), every row's cluster recovers its label")
    func clusters() throws {
        let project = try ModelStageTests.project(data: "three_clusters.csv", model: """
            uses: models.gaussian-mixture@1
            with: {columns: [x, y], max_components: 5, seed: 7}
            """, folder: "mixtures")
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let fit = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/model/mixture.json").utf8))
        #expect(fit.mapValue?["components"] == .int(3))
        let bic = fit.mapValue?["curve"]?.listValue?[2].mapValue?["bic"]?.doubleValue ?? .nan
        // scikit-learn 1.9, full covariance, k = 3 (Tests/Fixtures/mixtures/gmm_sklearn.json).
        struct Reference: Decodable { struct Fit: Decodable { var bic: Double }; var fits: [String: [Fit]] }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("mixtures/gmm_sklearn.json")))
        #expect(ModelStageTests.relative(bic, reference.fits["full"]![2].bic) < 1e-8)
        let table = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/m/model/clusters.pftable"))
        let clusters = table["cluster"]!.numericValues()!.map { Int($0) }, labels = table["label"]!.numericValues()!.map { Int($0) }
        #expect(adjustedRandIndex(clusters, labels) == 1)
        #expect(Set(clusters) == [1, 2, 3])
    }
}
