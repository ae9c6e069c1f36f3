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
        let rows = ModelStageTests.coefficients(fit)
        let reference = try Self.reference("glm_pyfixest.json", "poisson2")
        for (index, term) in reference.terms.enumerated() {
            let row = try #require(rows[term])
            #expect(Self.relative(row["estimate"]!.doubleValue!, reference.coef[index]) < 1e-8, "\(term)")
            #expect(Self.relative(row["se"]!.doubleValue!, reference.se_cluster[index]) < 1e-8, "\(term) se")
        }
        let map = try #require(fit.mapValue)
        #expect(map["observations"] == .int(Int64(reference.nobs)))
        #expect(map["observations_separated"] == .int(14))
        let separated = try #require(map["separated"]?.listValue?.first?.mapValue)
        #expect(separated["factor"] == .string("exporter^year") && separated["level"] == .string("C03_2002"))
        #expect(separated["outcome"]?.doubleValue == 0 && separated["observations"] == .int(14))
        #expect(map["estimator"] == .string("poisson"))
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
