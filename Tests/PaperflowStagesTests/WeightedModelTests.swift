import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// `weights:` and `weight_type:` on the model stages (issue 20), against statsmodels and pyfixest
/// on the panels of `Tests/Fixtures/models/ref_weights.py`; frequency weights against the same
/// tools on the rows repeated w times, which is what a frequency weight means.
@Suite("Weighted models")
struct WeightedModelTests {
    struct Reference: Decodable {
        var terms: [String]
        var coef: [Double]
        var se_iid: [Double]?
        var se_hc1: [Double]?
        var se_hetero: [Double]?
        var se_cluster: [Double]?
        var se_nonrobust: [Double]?
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var reference: String
        var file: String
        var uses: String
        var formula: String
        var weightType: String
        var convention: String
        var cluster: String
        var testDescription: String { reference }
    }

    static let cases: [Case] = [
        Case(reference: "ols_analytic", file: "weights_panel.csv", uses: "models.ols@2", formula: "y ~ x1 + x2 + x3", weightType: "analytic", convention: "statsmodels", cluster: "province"),
        Case(reference: "ols_frequency", file: "weights_panel.csv", uses: "models.ols@2", formula: "y ~ x1 + x2 + x3", weightType: "frequency", convention: "statsmodels", cluster: "province"),
        Case(reference: "fe_analytic", file: "weights_panel.csv", uses: "models.fe@2", formula: "y ~ x1 + x2 | province + year", weightType: "analytic", convention: "fixest", cluster: "province"),
        Case(reference: "fe_frequency", file: "weights_panel.csv", uses: "models.fe@2", formula: "y ~ x1 + x2 | province + year", weightType: "frequency", convention: "fixest", cluster: "province"),
        Case(reference: "poisson_analytic", file: "weights_trade.csv", uses: "models.poisson@1", formula: "trade ~ rta + ltariff | exporter^year + importer^year", weightType: "analytic", convention: "fixest", cluster: "exporter"),
        Case(reference: "poisson_frequency", file: "weights_trade.csv", uses: "models.poisson@1", formula: "trade ~ rta + ltariff | exporter^year + importer^year", weightType: "frequency", convention: "fixest", cluster: "exporter"),
    ]

    static func fit(_ item: Case, vcov: String, weightType: String? = nil) throws -> (ParamValue?, String?) {
        let project = try ModelStageTests.project(data: item.file, model: """
            uses: \(item.uses)
            with: {formula: "\(item.formula)", weights: w, weight_type: \(weightType ?? item.weightType), vcov: \(vcov), convention: \(item.convention)}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let message = run.record.stages.first { $0.stage == "model" }?.message
        return (message == nil ? try ModelStageTests.fit(project) : nil, message)
    }

    @Test("coefficients within 1e-8 and classical, robust and clustered SEs within 1e-6 of the references, N = Σw for frequency weights", arguments: cases)
    func weighted(item: Case) throws {
        let all = try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/weights_reference.json")))
        let reference = try #require(all[item.reference])
        let covariances: [(String, [Double]?)] = [("classical", reference.se_iid), ("hc1", reference.se_hc1 ?? reference.se_hetero),
                                                  ("{cluster: [\(item.cluster)]}", reference.se_cluster)]
        for (vcov, expected) in covariances {
            let (fit, message) = try Self.fit(item, vcov: vcov)
            let map = try #require(fit?.mapValue, "\(item.reference) \(vcov): \(message ?? "")")
            try ModelStageTests.expectTerms(.map(map), reference.terms, estimates: reference.coef, standardErrors: try #require(expected),
                                            estimateTolerance: 1e-8, seTolerance: 1e-6, "\(item.reference) \(vcov)")
            #expect(map["weight_type"] == .string(item.weightType))
            if item.weightType == "frequency" { #expect(map["observations"]?.intValue ?? 0 > map["rows"]?.intValue ?? 0) }
        }
    }

    struct BinaryReference: Decodable {
        var terms: [String]
        var coef: [Double]
        var nobs: Int
        var se_iid: [Double]?
        var se_hetero: [Double]?
        var se_cluster: [Double]?
        var se_nonrobust: [Double]?
        var se_nonrobust_observed: [Double]?
    }

    @Test("weighted logit and probit with firm and year absorbed: frequency weights equal pyfixest's feglm on the rows repeated w times (iid, hetero, clustered; N = Σw), analytic weights statsmodels' GLM with var_weights and every dummy (observed information)",
          arguments: ["logit", "probit"])
    func weightedBinary(family: String) throws {
        let all = try JSONDecoder().decode([String: BinaryReference].self, from: Data(contentsOf: Fixtures.url("models/weights_binary_reference.json")))
        let frequency = try #require(all["\(family)_frequency"]), analytic = try #require(all["\(family)_analytic_statsmodels"])
        // pyfixest's probit IWLS stops about 1e-8 short, statsmodels' GLM Newton a few 1e-9 short.
        let estimateTolerance = family == "probit" ? 1e-7 : 1e-8
        for (vcov, expected) in [("classical", frequency.se_iid), ("hc1", frequency.se_hetero), ("{cluster: [firm]}", frequency.se_cluster)] {
            let item = Case(reference: "\(family)_frequency", file: "weights_firms.csv", uses: "models.\(family)@2", formula: "export ~ x1 + x2 | firm + year",
                            weightType: "frequency", convention: "fixest", cluster: "firm")
            let (fit, message) = try Self.fit(item, vcov: vcov)
            let map = try #require(fit?.mapValue, "\(family) frequency \(vcov): \(message ?? "")")
            try ModelStageTests.expectTerms(.map(map), frequency.terms, estimates: frequency.coef, standardErrors: try #require(expected),
                                            estimateTolerance: estimateTolerance, seTolerance: 1e-6, "\(family) frequency \(vcov)")
            #expect(map["observations"]?.intValue == Int64(frequency.nobs))
        }
        let item = Case(reference: "\(family)_analytic", file: "weights_firms.csv", uses: "models.\(family)@2", formula: "export ~ x1 + x2 | firm + year",
                        weightType: "analytic", convention: "statsmodels", cluster: "firm")
        let (fit, message) = try Self.fit(item, vcov: "classical")
        let map = try #require(fit?.mapValue, "\(family) analytic: \(message ?? "")")
        try ModelStageTests.expectTerms(.map(map), analytic.terms, estimates: analytic.coef, standardErrors: try #require(analytic.se_nonrobust_observed),
                                        estimateTolerance: 1e-8, seTolerance: 1e-6, "\(family) analytic")
        #expect(map["observations"]?.intValue == Int64(analytic.nobs))
    }

    @Test("probability weights give analytic weights' robust and clustered SEs and refuse the classical covariance; fractional frequency weights and negative weights are refused with the row")
    func probabilityAndRefusals() throws {
        let analytic = Self.cases[0]
        for vcov in ["hc1", "{cluster: [province]}"] {
            let (a, _) = try Self.fit(analytic, vcov: vcov), (p, _) = try Self.fit(analytic, vcov: vcov, weightType: "probability")
            let ra = ModelStageTests.coefficients(try #require(a)), rp = ModelStageTests.coefficients(try #require(p))
            for (term, row) in ra { #expect(row["se"] == rp[term]?["se"], "\(vcov) \(term)") }
        }
        let (_, message) = try Self.fit(analytic, vcov: "classical", weightType: "probability")
        #expect(message == "probability weights have no classical covariance (Stata's pweight forces robust); use vcov: hc1 or a cluster")

        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/d.csv", "y,x,w,h\n1,0.5,1.5,1\n0,1.5,2,2\n2,2.5,1,-3\n3,0.1,2,1\n4,1.1,0,1\n")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/d.csv}}
              fractional: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ x", weights: w, weight_type: frequency}}
              negative: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ x", weights: h}}
              zero: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ x", weights: w}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message) })
        #expect(messages["fractional"] == "frequency weights count rows, so they must be whole numbers, but 'w' is 1.5 in row 1; use weight_type: analytic for other weights")
        #expect(messages["negative"] == "formula 'y ~ x': the weight 'h' is -3.0 in row 3; weights must be zero or positive")
        let zero = try #require(try JSONDecoder().decode(ParamValue.self, from: Data(project.read("Artifacts/m/zero/fit.json").utf8)).mapValue)
        #expect(zero["observations_zero_weight"] == .int(1) && zero["observations"] == .int(4))
    }
}
