import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// The linear models' `bootstrap:` (the wild cluster bootstrap of one coefficient) against the
/// wildboottest package on statsmodels OLS with year dummies, and its confidence set against a
/// direct numpy inversion (`Tests/Fixtures/models/ref_wild.py`), M2 panel clustered by province —
/// year effects not nested in the provinces, so the absorbed effects' share of each cluster's
/// bootstrap errors matters (a first version without it was 0.03 off).
@Suite("Wild cluster bootstrap")
struct WildBootstrapTests {
    struct Reference: Decodable {
        var t: Double?
        var p: Double?
        var draws: Int?
        var low: Double?
        var high: Double?
        var se: Double?
    }

    static let references = try! JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/wild_wildboottest.json")))

    static func bootstrap(subset: String, coefficient: String, options: String) throws -> [String: ParamValue] {
        let project = try ModelStageTests.project(data: "m2_panel.csv", model: """
            uses: models.fe@2
            with: {formula: "y ~ x1 + x2 + x3 | year", vcov: {cluster: [province]}, convention: statsmodels, subset: "\(subset)",
                   bootstrap: {coefficient: \(coefficient), seed: 20261207, \(options)}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        return try #require(ModelStageTests.fit(project).mapValue?["bootstrap"]?.mapValue)
    }

    @Test("ten provinces, Rademacher: all 1,024 sign vectors enumerated, WCU p-values of x1 and x3 equal wildboottest's exactly, WCR's but for the two draws that tie (v = ±1), t its to 1e-8", arguments: ["x1", "x3"])
    func enumerated(coefficient: String) throws {
        for type in ["wcr", "wcu"] {
            let reference = try #require(Self.references["enumerated_\(coefficient)_\(type)"])
            let result = try Self.bootstrap(subset: "province <= 10", coefficient: coefficient, options: "type: \(type)")
            #expect(result["enumerated"] == .bool(true))
            #expect(result["draws"] == .int(1024))
            #expect(result["type"] == .string(type.uppercased()))
            // Under WCR the draws v = ±1 rebuild the data and give |t*| = |t| exactly: not
            // counted here, counted by wildboottest when rounding puts them above — up to 2/1024.
            let p = try #require(result["p_value"]?.doubleValue)
            if type == "wcu" {
                #expect(p == reference.p!, "\(coefficient) wcu: \(p) vs \(reference.p!)")
            } else {
                #expect(reference.p! - p >= 0 && reference.p! - p <= 2.0 / 1024, "\(coefficient) wcr: \(p) vs \(reference.p!)")
            }
            #expect(ModelStageTests.relative(result["t"]!.doubleValue!, reference.t!) < 1e-8)
        }
    }

    @Test("the 95% WCR confidence set of x1 (ten provinces) has the bounds where a direct numpy inversion (every draw refitted with the dummies) crosses 0.05 (1e-7 of the SE)")
    func confidenceSet() throws {
        let reference = try #require(Self.references["enumerated_x1_ci"])
        let result = try Self.bootstrap(subset: "province <= 10", coefficient: "x1", options: "type: wcr, level: 0.95")
        let interval = (result["confidence_interval"]?.listValue ?? []).compactMap(\.doubleValue)
        try #require(interval.count == 2)
        let se = reference.se!
        #expect(abs(interval[0] - reference.low!) < 1e-7 * se, "\(interval[0]) vs \(reference.low!)")
        #expect(abs(interval[1] - reference.high!) < 1e-7 * se, "\(interval[1]) vs \(reference.high!)")
    }

    @Test("thirty provinces, B = 9,999 random Webb and Rademacher draws (seeded): WCR p-values within three Monte-Carlo standard errors of two independent runs of wildboottest's, √(2p(1−p)/B)", arguments: ["x1", "x3"])
    func randomDraws(coefficient: String) throws {
        for weights in ["webb", "rademacher"] {
            let reference = try #require(Self.references["random_\(coefficient)_\(weights)"])
            let result = try Self.bootstrap(subset: "province > 0", coefficient: coefficient, options: "weights: \(weights), draws: 9999")
            #expect(result["enumerated"] == .bool(false))
            #expect(result["draws"] == .int(9999))
            let p = try #require(result["p_value"]?.doubleValue), want = reference.p!
            let error = (2 * max(want * (1 - want), 1e-4) / 9999).squareRoot()
            #expect(abs(p - want) < 3 * error, "\(coefficient) \(weights): \(p) vs \(want) (MC error \(error))")
            #expect(ModelStageTests.relative(result["t"]!.doubleValue!, reference.t!) < 1e-8)
        }
    }

    @Test("the same seed gives the same p-value and set; a bootstrap without a seed, without one-way clusters, of a coefficient the fit lacks, or of a probit is refused with the fix")
    func refusals() throws {
        let once = try Self.bootstrap(subset: "province > 0", coefficient: "x3", options: "weights: webb, draws: 999")
        let again = try Self.bootstrap(subset: "province > 0", coefficient: "x3", options: "weights: webb, draws: 999")
        #expect(once == again)
        for (model, message) in [
            ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", vcov: {cluster: [province]}, bootstrap: {coefficient: x1}}",
             "bootstrap needs a seed, stated so that the p-value can be reproduced (e.g. seed: 20261207); bootstrap takes {coefficient: NAME, seed: N, draws: 9999, weights: rademacher | webb, type: wcr | wcu, level: 0.95}"),
            ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", vcov: hc1, bootstrap: {coefficient: x1, seed: 1}}",
             "the wild cluster bootstrap resamples the clusters of a one-way clustered vcov; set vcov: {cluster: [COLUMN]}"),
            ("uses: models.fe@2\nwith: {formula: \"y ~ x1 | year\", vcov: {cluster: [province]}, bootstrap: {coefficient: x9, seed: 1}}",
             "the bootstrap's coefficient 'x9' is not in the fit (coefficients: x1)"),
            ("uses: models.probit@2\nwith: {formula: \"y ~ x1 | year\", vcov: {cluster: [province]}, bootstrap: {coefficient: x1, seed: 1}}",
             "bootstrap: the wild cluster bootstrap is for the linear models (ols, fe, lpm); probit is not bootstrapped"),
        ] {
            let project = try ModelStageTests.project(data: "m2_panel.csv", model: model)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
            #expect(run.record.stages.compactMap(\.message) == [message])
        }
    }
}
