import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// Observations separated by the regressors (and fixed effects) in Poisson models: the examples
/// of ppmlhdfe's separation primer (Correia, Guimarães & Zylkin), and a panel with separation
/// planted three ways against pyfixest 0.60's fepois with its fe and iterative-rectifier checks
/// (`Tests/Fixtures/models/ref_separation.py`).
@Suite("Poisson separation by the regressors")
struct PoissonSeparationTests {
    static let ones = [Double](repeating: 1, count: 6)
    static let primerOutcome: [Double] = [0, 0, 0, 1, 2, 3]

    @Test("primer, one regressor: x = 1 only where y = 0 separates those two rows; the intercept is then log 1.5")
    func oneRegressor() throws {
        let fit = try GeneralizedLinearFit(.poisson, outcome: Self.primerOutcome,
                                           regressors: [("(Intercept)", Self.ones), ("x", [1, 1, 0, 0, 0, 0])], fixedEffects: FixedEffects([]))
        #expect(fit.usedRows == [2, 3, 4, 5])
        #expect(fit.separatedByRegressors == 2)
        #expect(fit.names == ["(Intercept)"])
        #expect(fit.dropped.map(\.name) == ["x"])
        #expect(abs(fit.coefficients[0] - log(1.5)) < 1e-10)
    }

    @Test("primer, two regressors: z = 2·x1 + x2 separates the first row only; x1 and x2 are then collinear and x2 is dropped")
    func twoRegressors() throws {
        let fit = try GeneralizedLinearFit(.poisson, outcome: Self.primerOutcome,
                                           regressors: [("(Intercept)", Self.ones), ("x1", [2, -1, 0, 0, 5, 6]), ("x2", [-1, 2, 0, 0, -10, -12])],
                                           fixedEffects: FixedEffects([]))
        #expect(fit.usedRows == [1, 2, 3, 4, 5])
        #expect(fit.separatedByRegressors == 1)
        #expect(fit.names == ["(Intercept)", "x1"])
        #expect(fit.dropped.map(\.name) == ["x2"])
    }

    @Test("primer, two fixed effects and no regressor: the third row is separated, which no level alone shows")
    func fixedEffectsTogether() throws {
        let fit = try GeneralizedLinearFit(.poisson, outcome: [0, 1, 0, 0, 1], regressors: [],
                                           fixedEffects: FixedEffects([[0, 0, 1, 1, 1], [0, 0, 0, 1, 1]]))
        #expect(fit.separated.isEmpty)
        #expect(fit.usedRows == [0, 1, 3, 4])
        #expect(fit.separatedByRegressors == 1)
    }

    @Test("a positive outcome throughout: nothing to check, nothing dropped")
    func interiorOnly() throws {
        let fit = try GeneralizedLinearFit(.poisson, outcome: [1, 2, 3, 1, 2, 5],
                                           regressors: [("(Intercept)", Self.ones), ("x", [1, 1, 0, 0, 0, 0])], fixedEffects: FixedEffects([]))
        #expect(fit.usedRows == Array(0..<6))
        #expect(fit.separatedByRegressors == 0)
    }

    struct Reference: Decodable {
        var nobs: Int
        var kept_rows: [Int]
        var separated_rows: [Int]
        var terms: [String]
        var coef: [Double]
        var se_iid: [Double]
        var se_hetero: [Double]
        var se_cluster: [Double]
    }

    @Test("a panel with separation by a regressor, by a regressor with a fixed effect, and by a level: the rows pyfixest drops, its coefficients within 1e-8 and SEs (iid, hetero, clustered) within 1e-6")
    func againstPyfixest() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/separation_pyfixest.json")))
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/separation_panel.csv"), displayPath: "separation_panel.csv")
        let frame = try ModelFrame(try Formula("y ~ x1 + x2 + sanction + embargo | unit + year"), table: table)
        let fit = try GeneralizedLinearFit(.poisson, outcome: frame.outcome, regressors: frame.linearRegressors,
                                           fixedEffects: frame.absorbed, labels: frame.fixedEffects.map { ($0.name, $0.levels) })
        let kept = fit.usedRows.map { frame.rows[$0] }
        #expect(kept == reference.kept_rows)
        #expect(fit.observations == reference.nobs)
        // Unit U03 (all zero) by its level; the 9 sanctioned and 4 embargoed zero rows by the rectifier.
        #expect(fit.separated.map(\.level) == ["U03"])
        #expect(fit.separatedByRegressors == 13)
        #expect(fit.names == reference.terms)
        #expect(Set(fit.dropped.map(\.name)) == ["sanction", "embargo"])
        for (got, want) in zip(fit.coefficients, reference.coef) { #expect(abs(got - want) / abs(want) < 1e-8, "\(got) vs \(want)") }
        let units = try table.column("unit").levelCodes().codes
        let clusters = frame.rows.map { Int(units[$0]) }
        for (kind, expected) in [(GeneralizedLinearFit.GLMCovarianceKind.classical, reference.se_iid), (.robust, reference.se_hetero),
                                 (.clustered([clusters]), reference.se_cluster)] {
            let matrix = try fit.covariance(kind, convention: .fixest).matrix
            for (index, want) in expected.enumerated() {
                #expect(abs(matrix[index, index].squareRoot() - want) / want < 1e-6, "\(kind) \(fit.names[index])")
            }
        }
    }
}
