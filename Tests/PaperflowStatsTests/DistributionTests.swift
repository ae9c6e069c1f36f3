import Foundation
import PaperflowStats
import PaperflowTestSupport
import Testing

/// p-values against scipy.stats (`Tests/Fixtures/inference/distributions_scipy.json`, made by
/// `ref_distributions.py`), and the stars economics tables print.
@Suite("Distributions and significance")
struct DistributionTests {
    struct Row: Decodable {
        var kind: String
        var x: Double
        var df: Double?
        var df1: Double?
        var df2: Double?
        var p: Double
    }

    struct Reference: Decodable { var rows: [Row] }

    @Test("normal, t, chi-square and F tails match scipy within 1e-10 relative (absolute below 1e-300)")
    func tails() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("inference/distributions_scipy.json")))
        #expect(reference.rows.count == 155)
        for row in reference.rows {
            let got: Double
            switch row.kind {
            case "normal_two_sided": got = Distribution.normalTwoSided(row.x)
            case "normal_upper": got = Distribution.normalUpperTail(row.x)
            case "t_two_sided": got = Distribution.tTwoSided(row.x, degrees: try #require(row.df))
            case "chi2_upper": got = Distribution.chiSquareUpperTail(row.x, degrees: try #require(row.df))
            case "f_upper": got = Distribution.fUpperTail(row.x, numerator: try #require(row.df1), denominator: try #require(row.df2))
            default: Issue.record("unknown kind \(row.kind)"); continue
            }
            let error = row.p < 1e-300 ? abs(got - row.p) : abs(got - row.p) / row.p
            #expect(error < 1e-10, "\(row.kind)(\(row.x), df \(row.df ?? row.df1 ?? 0)/\(row.df2 ?? 0)): \(got) vs scipy \(row.p)")
        }
    }

    @Test("stars at 0.1, 0.05 and 0.01, strict inequalities", arguments: [
        (0.2, ""), (0.1, ""), (0.0999, "*"), (0.05, "*"), (0.049, "**"), (0.01, "**"), (0.0099, "***"), (0, "***"),
    ])
    func stars(p: Double, stars: String) {
        #expect(SignificanceStars.stars(p) == stars)
    }

    @Test("a coefficient's test is a t test with degrees of freedom, else a z test")
    func coefficientTest() {
        let z = CoefficientTest(estimate: 0.0392, standardError: 0.02)
        #expect(abs(z.statistic - 1.96) < 1e-12)
        #expect(abs(z.pValue - 0.04999579029644087) < 1e-12)
        #expect(z.stars == "**")
        let t = CoefficientTest(estimate: 0.0392, standardError: 0.02, degrees: 29)
        #expect(abs(t.pValue - 0.05966779551959133) < 1e-10)
        #expect(t.stars == "*")
    }
}
