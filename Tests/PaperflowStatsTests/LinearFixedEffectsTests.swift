import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// an-fu-2026's two-way fixed-effects panel (M2: 30 provinces × 14 years, clustered by province)
/// against the independent numpy LSDV reference `Tests/Fixtures/models/m2_reference_numpy.json`
/// (made by `ref_m2.py` from `m2_panel.csv`; copied from ../shared/fixtures/models).
@Suite("Linear fixed effects (M2 panel)")
struct LinearFixedEffectsTests {
    struct Reference: Decodable {
        struct Sample: Decodable {
            var N: Int
            var n_fe_rank: Int
            var coef: [Double]
            var se_cluster: [String: [Double]]
            var r2_within_twoway: Double
            var rss: Double
            var se_iid: [Double]

            enum CodingKeys: String, CodingKey {
                case N, n_fe_rank, coef, se_cluster, r2_within_twoway, rss
                case se_iid = "se_iid_dof_N-K-nFE"
            }
        }

        var samples: [String: Sample]
    }

    /// The reference's convention labels, by the name Paperflow gives each.
    static let conventions: [ClusterAdjustment: String] = [
        .none: "CR0 (none; R plm vcovHC HC0, sandwich HC0 cadjust=FALSE)",
        .fixest: "G/(G-1)*(N-1)/(N-K-nFE_nonnested+1)  fixest/pyfixest default (province FE nested in cluster)",
        .linearmodels: "N/(N-K-nFE)  linearmodels PanelOLS default (debiased=True, effects counted)",
        .statsmodels: "G/(G-1)*(N-1)/(N-K-nFE)  statsmodels OLS+dummies cluster; sandwich vcovCL(lm) HC1; linearmodels group_debias=True",
        .plmSSS: "G/(G-1)*(N-1)/(N-K)  R plm vcovHC type='sss'",
        .plmHC1: "N/(N-K)  R plm vcovHC type='HC1'",
    ]

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    @Test("coefficients within 1e-10, the six clustered-SE conventions, iid SEs and the within R² within 1e-8",
          arguments: ["all", "east", "central", "west"])
    func panel(sample: String) throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m2_reference_numpy.json")))
        let expected = try #require(reference.samples[sample])
        var (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m2_panel.csv"), displayPath: "m2_panel.csv")
        if sample != "all" { table = try table.filtering("region", in: [.string(sample)]) }
        func doubles(_ name: String) throws -> [Double] {
            let column = try table.column(name)
            return (0..<table.rowCount).map { row in
                switch column[row] {
                case let .double(value): return value
                case let .int64(value): return Double(value)
                default: return .nan
                }
            }
        }
        func codes(_ name: String) throws -> [Int] {
            var index: [Value: Int] = [:]
            let column = try table.column(name)
            return (0..<table.rowCount).map { row in
                if let code = index[column[row]] { return code }
                index[column[row]] = index.count
                return index.count - 1
            }
        }
        let names = ["x1", "x2", "x3", "x4", "x5", "x6"]
        let province = try codes("province")
        let fit = try LinearFixedEffectsFit(outcome: try doubles("y"), regressors: try names.map { ($0, try doubles($0)) },
                                            fixedEffects: FixedEffects([province, try codes("year")]))
        #expect(fit.names == names)
        #expect(fit.observations == expected.N)
        #expect(fit.fixedEffectsRank == expected.n_fe_rank)
        for (got, want) in zip(fit.coefficients, expected.coef) { #expect(Self.relative(got, want) < 1e-10, "coefficient \(got) vs \(want)") }
        #expect(Self.relative(fit.residualSumOfSquares, expected.rss) < 1e-8)
        #expect(Self.relative(fit.withinRSquared, expected.r2_within_twoway) < 1e-8)
        for (got, want) in zip(LinearFixedEffectsFit.standardErrors(fit.iidCovariance), expected.se_iid) {
            #expect(Self.relative(got, want) < 1e-8, "iid SE \(got) vs \(want)")
        }
        for (adjustment, label) in Self.conventions {
            let want = try #require(expected.se_cluster[label], "reference lacks '\(label)'")
            let got = LinearFixedEffectsFit.standardErrors(fit.clusteredCovariance(province, adjustment: adjustment))
            for (a, b) in zip(got, want) { #expect(Self.relative(a, b) < 1e-8, "\(adjustment): \(a) vs \(b)") }
        }
    }

    @Test("a regressor collinear with others is dropped and reported, not returned as NaN")
    func collinear() throws {
        let x1: [Double] = [1, 2, 3, 4, 5, 6, 7, 8], x2: [Double] = [2, 1, 4, 3, 6, 5, 8, 9]
        let x3 = zip(x1, x2).map { 2 * $0 - $1 }
        let y = zip(x1, x2).map { 0.5 * $0 - 0.25 * $1 + 1 }
        let fit = try LinearFixedEffectsFit(outcome: y, regressors: [("x1", x1), ("x3", x3), ("x2", x2)],
                                            fixedEffects: FixedEffects([Array(repeating: 0, count: 8)]))
        #expect(fit.names == ["x1", "x3"])
        #expect(fit.dropped == ["x2"])
        #expect(fit.coefficients.allSatisfy { $0.isFinite })
        #expect(fit.residualSumOfSquares < 1e-20)
        // Without fixed effects it is OLS on the columns given: y = 1 + 0.25·x3.
        let plain = try LinearFixedEffectsFit(outcome: y, regressors: [("(Intercept)", Array(repeating: 1, count: 8)), ("x3", x3)],
                                              fixedEffects: FixedEffects([]))
        #expect(abs(plain.coefficients[0] - 1) < 1e-12 && abs(plain.coefficients[1] - 0.25) < 1e-12)
        #expect(plain.fixedEffectsRank == 0)
    }

    struct RobustReference: Decodable {
        struct Tool: Decodable {
            var se_hetero: [Double]?
            var se_HC1: [Double]?
            var se_twoway_province_year: [Double]
            var r2: Double?
            var rsquared: Double?
        }

        struct Plain: Decodable {
            var coef: [Double]
            var se_nonrobust: [Double]
            var se_HC1: [Double]
            var rsquared: Double
        }

        var pyfixest: Tool
        var statsmodels: Tool
        var statsmodels_plain_ols: Plain
    }

    @Test("OLS without fixed effects reports its intercept: coefficients, classical and HC1 SEs and R² match statsmodels")
    func plainOLS() throws {
        let reference = try JSONDecoder().decode(RobustReference.self, from: Data(contentsOf: Fixtures.url("models/m2_robust_reference.json")))
        let expected = reference.statsmodels_plain_ols
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m2_panel.csv"), displayPath: "m2_panel.csv")
        let frame = try ModelFrame(try Formula("y ~ x1 + x2 + x3 + x4 + x5 + x6"), table: table)
        let fit = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed)
        #expect(fit.names == ["(Intercept)", "x1", "x2", "x3", "x4", "x5", "x6"])
        for (got, want) in zip(fit.coefficients, expected.coef) { #expect(Self.relative(got, want) < 1e-10, "coefficient \(got) vs \(want)") }
        for (got, want) in zip(LinearFixedEffectsFit.standardErrors(fit.iidCovariance), expected.se_nonrobust) {
            #expect(Self.relative(got, want) < 1e-8, "classical SE \(got) vs \(want)")
        }
        for (got, want) in zip(LinearFixedEffectsFit.standardErrors(try fit.heteroskedasticCovariance()), expected.se_HC1) {
            #expect(Self.relative(got, want) < 1e-8, "HC1 SE \(got) vs \(want)")
        }
        #expect(Self.relative(fit.rSquared, expected.rsquared) < 1e-10)
    }

    @Test("HC1, two-way clustering by province and year (fixest's and statsmodels' conventions) and the overall R²")
    func robust() throws {
        // Made by ref_m2_robust.py (pyfixest 0.60.0, statsmodels 0.15.0 with dummies).
        let reference = try JSONDecoder().decode(RobustReference.self, from: Data(contentsOf: Fixtures.url("models/m2_robust_reference.json")))
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m2_panel.csv"), displayPath: "m2_panel.csv")
        let frame = try ModelFrame(try Formula("y ~ x1 + x2 + x3 + x4 + x5 + x6 | province + year"), table: table)
        let fit = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed)
        let province = frame.fixedEffects[0].codes, year = frame.fixedEffects[1].codes
        func check(_ covariance: Matrix, _ want: [Double]?, _ label: String) throws {
            let want = try #require(want)
            for (got, want) in zip(LinearFixedEffectsFit.standardErrors(covariance), want) {
                #expect(Self.relative(got, want) < 1e-8, "\(label): \(got) vs \(want)")
            }
        }
        try check(fit.heteroskedasticCovariance(adjustment: .hc1), reference.pyfixest.se_hetero, "HC1 vs pyfixest hetero")
        try check(fit.heteroskedasticCovariance(adjustment: .hc1), reference.statsmodels.se_HC1, "HC1 vs statsmodels HC1")
        try check(fit.clusteredCovariance(province, year, adjustment: .fixest), reference.pyfixest.se_twoway_province_year, "two-way, fixest")
        try check(fit.clusteredCovariance(province, year, adjustment: .statsmodels), reference.statsmodels.se_twoway_province_year, "two-way, statsmodels")
        #expect(Self.relative(fit.rSquared, try #require(reference.pyfixest.r2)) < 1e-10)
        #expect(Self.relative(fit.rSquared, try #require(reference.statsmodels.rsquared)) < 1e-10)
    }
}

/// A regressor the fixed effects absorb (issue 20): it was kept, its pivot judged against its own
/// demeaned rounding noise, and reported with a garbage coefficient.
@Suite("Absorbed regressors")
struct AbsorbedRegressorTests {
    @Test("a regressor constant within province in '| province + year' is dropped and named; the other slopes equal the fit without it")
    func absorbed() throws {
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m2_panel.csv"), displayPath: "m2_panel.csv")
        let frame = try ModelFrame(try Formula("y ~ x1 + x2 | province + year"), table: table)
        let province = frame.fixedEffects[0].codes
        // A province-level variable (say, distance to the coast): constant within province.
        let coast = province.map { 0.37 * Double($0 * $0 % 17) + 1.5 }
        let with = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors + [("coast", coast)], fixedEffects: frame.absorbed)
        let without = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed)
        #expect(with.names == ["x1", "x2"])
        #expect(with.dropped == ["coast"])
        #expect(with.droppedReasons == ["constant within fixed effect 1"])
        for (a, b) in zip(with.coefficients, without.coefficients) { #expect(abs(a - b) <= 1e-12 * abs(b)) }
        // The GLM engine drops it the same way, naming the effect.
        let glm = try GeneralizedLinearFit(.poisson, outcome: frame.outcome.map { exp($0 / 10) }, regressors: frame.linearRegressors + [("coast", coast)],
                                           fixedEffects: frame.absorbed, labels: frame.fixedEffects.map { ($0.name, $0.levels) })
        #expect(glm.dropped.map(\.name) == ["coast"] && glm.dropped.first?.reason == "constant within province")
    }
}

/// Driscoll–Kraay against linearmodels' PanelOLS kernel covariance (`ref_dk_linearmodels.py`):
/// the same sandwich, scores summed within each year, Bartlett weights; linearmodels scales it
/// by N/(N − df), df the fixed effects' rank (and N/(N − df − K) debiased).
@Suite("Driscoll–Kraay against linearmodels")
struct DriscollKraayTests {
    struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double]; var nobs: Int; var df_model: Int }

    @Test("y ~ x1 + x2 + x3 | province + year, bandwidth 2 and 3: the kernel covariance times linearmodels' scale gives its SEs to 1e-10", arguments: [
        ("bandwidth_2", 2, false), ("bandwidth_3", 3, false), ("bandwidth_2_debiased", 2, true),
    ])
    func panelOLS(key: String, lags: Int, debiased: Bool) throws {
        let reference = try #require(try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/dk_linearmodels.json")))[key])
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m2_panel.csv"), displayPath: "m2_panel.csv")
        let frame = try ModelFrame(try Formula("y ~ x1 + x2 + x3 | province + year"), table: table)
        let fit = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed)
        #expect(fit.names == reference.terms)
        #expect(fit.fixedEffectsRank + fit.names.count == reference.df_model)
        let n = Double(fit.observations), df = Double(fit.fixedEffectsRank + (debiased ? fit.names.count : 0))
        let covariance = n / (n - df) * fit.kernelCovariance(periods: frame.fixedEffects[1].codes, lags: lags)
        for (index, (got, want)) in zip(LinearFixedEffectsFit.standardErrors(covariance), reference.se).enumerated() {
            #expect(abs(got - want) <= 1e-10 * want, "\(reference.terms[index]): \(got) vs \(want)")
            #expect(abs(fit.coefficients[index] - reference.coef[index]) <= 1e-10 * abs(reference.coef[index]))
        }
    }
}
