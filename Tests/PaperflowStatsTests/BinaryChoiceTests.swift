import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// liu-zhu-2021's model (4) — export on firm and city density, their interaction, trade value
/// and new exports, with year and HS2 dummies (K = 116) — on `m1_100k.csv`, against the
/// independent numpy Newton fit `m1_100k_{probit,logit}.json` (`ref_m1.py`; copied from
/// ../shared/fixtures/models). Each standard error is checked under the convention it names.
@Suite("Probit and logit with dummies (M1, 100k rows)")
struct BinaryChoiceTests {
    struct Reference: Decodable {
        var N: Int
        var K: Int
        var loglik: Double
        var names: [String]
        var coef: [Double]
        var se: [String: [Double]]
        var ame_naive_names: [String]
        var ame_naive: [Double]
        var ame_interaction_aware_names: [String]
        var ame_interaction_aware: [Double]
        var ame_se: [String: [Double]]
    }

    /// The model as the paper writes it, evaluated on the table: year and HS2 enter as dummies
    /// (base levels 2002 and 1, as the reference's design), the firm codes are the clusters.
    static let data: (design: BinaryDesign, outcome: [Double], firms: [Int]) = {
        let (table, _) = try! CSVReader.read(contentsOf: Fixtures.url("models/m1_100k.csv"), displayPath: "m1_100k.csv")
        let formula = try! Formula("export ~ density_firm*density_city + ln_tradevalue + ln_newexport | year + hs2")
        let frame = try! ModelFrame(formula, table: table)
        let firms = table["firm"]!.levelCodes().codes
        return (frame.binaryDesign, frame.outcome, frame.rows.map { Int(firms[$0]) })
    }()

    /// How the model's columns are built from its variables, for the marginal effects.
    static let composition: DesignComposition = {
        let (table, _) = try! CSVReader.read(contentsOf: Fixtures.url("models/m1_100k.csv"), displayPath: "m1_100k.csv")
        let formula = try! Formula("export ~ density_firm*density_city + ln_tradevalue + ln_newexport | year + hs2")
        return try! ModelFrame(formula, table: table, composition: true).composition!
    }()

    /// The reference's name for a parameter.
    static func referenceName(_ name: String) -> String { name == "(Intercept)" ? "intercept" : name }

    /// The slopes in the order the references list them (R's order puts the interaction last).
    static let slopes = ["density_firm", "density_city", "density_firm:density_city", "ln_tradevalue", "ln_newexport"]

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    @Test("an all-0 and an all-1 HS2 level are both dropped and reported (fixest), and the slopes are R glm's limits")
    func separation() throws {
        // The shared separation fixture is m1_100k with export set to 0 in HS2 97 and 1 in HS2 96.
        struct R: Decodable { var main_coef: [Double] }
        let reference = try JSONDecoder().decode(R.self, from: Data(contentsOf: Fixtures.url("models/separation_R.json")))
        let (design, outcome, _) = Self.data
        let hs2 = design.factorNames.firstIndex(of: "hs2")!
        let levels = design.factorLevels[hs2]
        let separatedOutcome = outcome.indices.map { row -> Double in
            switch levels[design.factorCode(row, hs2)] {
            case "97": return 0
            case "96": return 1
            default: return outcome[row]
            }
        }
        let fit = try BinaryChoiceFit(.probit, outcome: separatedOutcome, design: design)
        #expect(fit.separated == [Separation(factor: "hs2", level: "96", outcome: 1, observations: 904),
                                  Separation(factor: "hs2", level: "97", outcome: 0, observations: 1206)])
        #expect(fit.observations == 100_000 - 904 - 1206)
        #expect(!fit.names.contains("hs2_96") && !fit.names.contains("hs2_97"))
        for (name, want) in zip(Self.slopes, reference.main_coef) {
            let got = fit.coefficients[try #require(fit.names.firstIndex(of: name))]
            #expect(Self.relative(got, want) < 1e-7, "\(name): \(got) vs \(want)")
        }
    }

    @Test("a fit that does not converge says so and gives no estimate; a collinear column is dropped and reported")
    func failures() throws {
        let (design, outcome, _) = Self.data
        do {
            _ = try BinaryChoiceFit(.logit, outcome: outcome, design: design, maxIterations: 2)
            Issue.record("a fit stopped after 2 iterations was given")
        } catch let failure as BinaryChoiceFit.Failure {
            #expect(failure.message.hasPrefix("Newton's method did not converge in 2 iterations (last step "))
            #expect(failure.message.hasSuffix("); no fit is given"))
        }
        let x: [Double] = [0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9], y: [Double] = [0, 1, 0, 0, 1, 1, 0, 1]
        let ones = Array(repeating: 1.0, count: 8)
        let collinear = BinaryDesign(dense: [("intercept", ones), ("x", x), ("twice", x.map { 2 * $0 })], factors: [])
        let fit = try BinaryChoiceFit(.probit, outcome: y, design: collinear)
        #expect(fit.collinear == ["twice"])
        #expect(fit.names == ["intercept", "x"])
        let without = try BinaryChoiceFit(.probit, outcome: y, design: BinaryDesign(dense: [("intercept", ones), ("x", x)], factors: []))
        #expect(fit.coefficients == without.coefficients)
        #expect(fit.logLikelihood == without.logLikelihood)
    }

    @Test("coefficients, log-likelihood and SEs under eight named conventions match the numpy reference",
          arguments: BinaryFamily.allCases)
    func model(family: BinaryFamily) throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m1_100k_\(family.rawValue).json")))
        let (design, outcome, firms) = Self.data
        let fit = try BinaryChoiceFit(family, outcome: outcome, design: design)
        // Parameters are compared by name: the reference lists the interaction fourth, R's
        // formula order puts it after the main effects.
        #expect(Set(fit.names.map(Self.referenceName)) == Set(reference.names))
        #expect(fit.coefficients.count == reference.K)
        let position = Dictionary(uniqueKeysWithValues: fit.names.map(Self.referenceName).enumerated().map { ($1, $0) })
        let order = reference.names.map { position[$0]! }
        for (name, want) in zip(reference.names, reference.coef) {
            let got = fit.coefficients[position[name]!]
            #expect(Self.relative(got, want) < 1e-8, "\(name): \(got) vs \(want)")
        }
        #expect(Self.relative(fit.logLikelihood, reference.loglik) < 1e-10)
        let n = Double(reference.N), k = Double(reference.K), g = Double(Set(firms).count)
        let conventions: [String: Matrix] = [
            "classical_observed_info": fit.classicalCovariance(.observed),
            "classical_expected_info": fit.classicalCovariance(.expected),
            "classical_expected_info_x_(N-1)/(N-K)": (n - 1) / (n - k) * fit.classicalCovariance(.expected),
            "cluster_CR0_observed": fit.clusteredCovariance(firms, information: .observed, scale: 1),
            "cluster_CR0_expected": fit.clusteredCovariance(firms, information: .expected, scale: 1),
            "cluster_observed_x_G/(G-1)*(N-1)/(N-K)": fit.clusteredCovariance(firms, information: .observed, scale: g / (g - 1) * (n - 1) / (n - k)),
            "cluster_expected_x_G/(G-1)": fit.clusteredCovariance(firms, information: .expected, scale: g / (g - 1)),
            "cluster_expected_x_G/(G-1)*(N-1)/(N-K)": fit.clusteredCovariance(firms, information: .expected, scale: g / (g - 1) * (n - 1) / (n - k)),
        ]
        #expect(Set(conventions.keys) == Set(reference.se.keys))
        // fixest's default (year and HS2 are not nested in firms, so K counts every parameter).
        #expect(fit.clusteredCovariance(firms) == conventions["cluster_expected_x_G/(G-1)*(N-1)/(N-K)"])
        for (label, covariance) in conventions {
            let want = try #require(reference.se[label])
            let got = order.map { covariance[$0, $0].squareRoot() }
            let worst = zip(got, want).map { Self.relative($0, $1) }.max() ?? .infinity
            #expect(worst < 1e-6, "\(family) \(label): worst relative difference \(worst)")
        }
        // Average marginal effects both ways, with delta-method SEs under five conventions.
        for (method, key) in [(MarginalEffectMethod.perColumn, "naive"), (.derivatives(Self.composition), "interaction_aware")] {
            let perColumn = key == "naive"
            let names = perColumn ? reference.ame_naive_names : reference.ame_interaction_aware_names
            let values = perColumn ? reference.ame_naive : reference.ame_interaction_aware
            var checked = 0
            for (label, covariance) in conventions {
                guard let wantSE = reference.ame_se["\(key)|\(label)"] else { continue }
                let byName = Dictionary(uniqueKeysWithValues: fit.averageMarginalEffects(method, covariance: covariance).map { ($0.name, $0) })
                #expect(Set(byName.keys) == Set(names))
                for (name, (want, se)) in zip(names, zip(values, wantSE)) {
                    let effect = try #require(byName[name])
                    #expect(Self.relative(effect.effect, want) < 1e-8, "\(family) \(key) AME \(effect.name): \(effect.effect) vs \(want)")
                    #expect(Self.relative(effect.standardError, se) < 1e-6, "\(family) \(key)|\(label) \(effect.name): \(effect.standardError) vs \(se)")
                }
                checked += 1
            }
            #expect(checked == 5)
        }
    }
}

/// Marginal effects at means: per column against statsmodels' `get_margeff(at="mean")`
/// (`ref_m1_statsmodels.py`), interaction-aware against a numerical derivative of Φ at the means.
@Suite("Marginal effects at means (M1 probit, 100k rows)")
struct MarginalEffectsAtMeansTests {
    struct Reference: Decodable {
        var names: [String]
        var mem: [Double]
        var mem_se: [Double]
    }

    @Test("per column: effects and delta-method SEs (classical, observed information) match statsmodels to 1e-6")
    func perColumn() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m1_100k_probit_atmeans_statsmodels.json")))
        let (design, outcome, _) = BinaryChoiceTests.data
        let fit = try BinaryChoiceFit(.probit, outcome: outcome, design: design)
        let effects = Dictionary(uniqueKeysWithValues: fit.marginalEffectsAtMeans(.perColumn, covariance: fit.classicalCovariance(.observed)).map { ($0.name, $0) })
        #expect(Set(effects.keys) == Set(reference.names))
        for (name, (want, se)) in zip(reference.names, zip(reference.mem, reference.mem_se)) {
            let effect = try #require(effects[name])
            #expect(BinaryChoiceTests.relative(effect.effect, want) < 1e-6, "\(name): \(effect.effect) vs \(want)")
            #expect(BinaryChoiceTests.relative(effect.standardError, se) < 1e-6, "\(name) SE: \(effect.standardError) vs \(se)")
        }
    }

    @Test("interaction-aware: the effect of density_firm is dΦ/d(density_firm) at the means, the interaction at their product")
    func interactionAware() throws {
        let (design, outcome, _) = BinaryChoiceTests.data
        let fit = try BinaryChoiceFit(.probit, outcome: outcome, design: design)
        let effects = fit.marginalEffectsAtMeans(.derivatives(BinaryChoiceTests.composition), covariance: fit.classicalCovariance())
        #expect(effects.map(\.name) == ["density_firm", "density_city", "ln_tradevalue", "ln_newexport"])
        // x̄'b with density_firm moved by h: dense columns at their means, dummies at their shares.
        let n = Double(design.observations)
        var shares: [String: Double] = [:]
        for factor in design.factorNames.indices {
            for row in 0..<design.observations {
                let code = design.factorCode(row, factor)
                if code > 0 { shares["\(design.factorNames[factor])_\(design.factorLevels[factor][code])", default: 0] += 1 / n }
            }
        }
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/m1_100k.csv"), displayPath: "m1_100k.csv")
        func mean(_ name: String) -> Double { table[name]!.numericValues()!.reduce(0, +) / n }
        func index(_ h: Double) -> Double {
            let df = mean("density_firm") + h, dc = mean("density_city")
            let values: [String: Double] = ["(Intercept)": 1, "density_firm": df, "density_city": dc, "density_firm:density_city": df * dc,
                                            "ln_tradevalue": mean("ln_tradevalue"), "ln_newexport": mean("ln_newexport")]
            return zip(fit.names, fit.coefficients).reduce(0) { $0 + (values[$1.0] ?? shares[$1.0] ?? 0) * $1.1 }
        }
        func probability(_ h: Double) -> Double { 0.5 * erfc(-index(h) / 2.0.squareRoot()) }
        let h = 1e-5
        let numerical = (probability(h) - probability(-h)) / (2 * h)
        #expect(BinaryChoiceTests.relative(effects[0].effect, numerical) < 1e-7, "\(effects[0].effect) vs \(numerical)")
        #expect(effects.allSatisfy { $0.standardError > 0 && $0.standardError.isFinite })
    }
}

/// Heteroskedasticity-robust and two-way clustered probit SEs against statsmodels (`ref_m1_statsmodels.py`; observed
/// information, as statsmodels' bread).
@Suite("Robust and two-way clustered probit SEs (M1, 100k rows)")
struct BinaryRobustCovarianceTests {
    struct Reference: Decodable {
        var names: [String]
        var se_HC1_observed: [Double?]
        var se_twoway_firm_year_observed: [Double?]
    }

    @Test("HC0 (statsmodels' discrete 'HC1'), HC1 = N/(N−K)·HC0, and two-way (firm, year) clustered SEs match statsmodels to 1e-6 where defined")
    func robust() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/m1_100k_probit_robust_statsmodels.json")))
        let (design, outcome, firms) = BinaryChoiceTests.data
        let fit = try BinaryChoiceFit(.probit, outcome: outcome, design: design)
        let year = design.factorNames.firstIndex(of: "year")!
        let years = (0..<design.observations).map { design.factorCode($0, year) }
        let position = Dictionary(uniqueKeysWithValues: fit.names.enumerated().map { ($1, $0) })
        // statsmodels' cov_type="HC1" for discrete models applies no N/(N−K) factor: it is HC0.
        let hc1 = fit.heteroskedasticCovariance(information: .observed, adjustment: .none)
        let scaled = fit.heteroskedasticCovariance(information: .observed, adjustment: .hc1)
        let hcFactor = Double(fit.observations) / Double(fit.observations - fit.names.count)
        #expect(zip(scaled.values, hc1.values).allSatisfy { BinaryChoiceTests.relative($0, hcFactor * $1) < 1e-12 || $1 == 0 })
        let twoWay = fit.clusteredCovariance(firms, years, information: .observed, adjustment: .statsmodels)
        var compared = 0
        for (index, name) in reference.names.enumerated() {
            let p = try #require(position[name])
            if let want = reference.se_HC1_observed[index] {
                #expect(BinaryChoiceTests.relative(hc1[p, p].squareRoot(), want) < 1e-6, "HC1 \(name)")
            }
            // statsmodels' two-way variance is negative (NaN SE) for the year dummies, clustered on.
            if let want = reference.se_twoway_firm_year_observed[index] {
                #expect(BinaryChoiceTests.relative(twoWay[p, p].squareRoot(), want) < 1e-6, "two-way \(name): \(twoWay[p, p].squareRoot()) vs \(want)")
                compared += 1
            }
        }
        #expect(compared >= 6)
        // fixest's two-way convention: the smaller G (15 years) for every term, and the year
        // dummies (nested in the year clusters) left out of K.
        let fixest = fit.clusteredCovariance(firms, years, information: .observed, adjustment: .fixest)
        let n = Double(fit.observations), k = Double(fit.names.count)
        let gFirm = Double(Set(firms).count), gYear = 15.0, gBoth = Double(Set(zip(firms, years).map { $0 * 100 + $1 }).count)
        func own(_ g: Double) -> Double { g / (g - 1) * (n - 1) / (n - k) }
        let minimum = gYear / (gYear - 1) * (n - 1) / (n - (k - 14))
        // Rebuild fixest's from the statsmodels terms: each term's scale swapped.
        let terms = [(fit.clusteredCovariance(firms, information: .observed, scale: 1), own(gFirm)),
                     (fit.clusteredCovariance(years, information: .observed, scale: 1), own(gYear)),
                     (fit.clusteredCovariance(zip(firms, years).map { $0 * 100 + $1 }, information: .observed, scale: 1), own(gBoth))]
        let p = position["density_firm"]!
        let rebuilt = minimum * (terms[0].0[p, p] + terms[1].0[p, p] - terms[2].0[p, p])
        let statsmodels = terms[0].1 * terms[0].0[p, p] + terms[1].1 * terms[1].0[p, p] - terms[2].1 * terms[2].0[p, p]
        #expect(BinaryChoiceTests.relative(fixest[p, p], rebuilt) < 1e-12)
        #expect(BinaryChoiceTests.relative(twoWay[p, p], statsmodels) < 1e-12)
    }
}

/// Probit in the tails (issue 20): x'b reaches 8.4, where 1 − Φ by subtraction is 0.
@Suite("Probit tails")
struct ProbitTailTests {
    struct Reference: Decodable {
        var coef: [Double]
        var se_observed: [Double]
        var se_expected: [Double]
        var max_eta: Double
    }

    @Test("with x'b up to 8.4 the expected-information SEs are finite and statsmodels' GLM's (1e-6), the observed ones statsmodels' Probit's (1e-8); the absorbed engine agrees")
    func tails() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("models/probit_tail_statsmodels.json")))
        #expect(reference.max_eta > 8.3)
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/probit_tail.csv"), displayPath: "probit_tail.csv")
        let x = table["x"]!.numericValues()!, y = table["y"]!.numericValues()!
        let fit = try BinaryChoiceFit(.probit, outcome: y, design: BinaryDesign(dense: [("(Intercept)", x.map { _ in 1 }), ("x", x)], factors: []))
        for (got, want) in zip(fit.coefficients, reference.coef) { #expect(abs(got - want) / abs(want) < 1e-8) }
        let expected = fit.classicalCovariance(.expected), observed = fit.classicalCovariance(.observed)
        for index in 0..<2 {
            #expect(abs(expected[index, index].squareRoot() / reference.se_expected[index] - 1) < 1e-6, "expected \(expected[index, index].squareRoot())")
            #expect(abs(observed[index, index].squareRoot() / reference.se_observed[index] - 1) < 1e-8, "observed \(observed[index, index].squareRoot())")
        }
        let absorbed = try GeneralizedLinearFit(.probit, outcome: y, regressors: [("(Intercept)", x.map { _ in 1 }), ("x", x)], fixedEffects: FixedEffects([]))
        let bread = try absorbed.classicalCovariance(.expected)
        for index in 0..<2 { #expect(abs(bread[index, index].squareRoot() / reference.se_expected[index] - 1) < 1e-6) }
    }

    @Test("log Φ is accurate far in the lower tail, where Φ underflows (below −38.5)")
    func logNormalCDF() {
        // log Φ(x) = −x²/2 − log(−x) − log √(2π) + log(1 − 1/x² + 3/x⁴ − 15/x⁶ + …)
        for x in [-6.0, -12.0, -40.0, -100.0] {
            let series = 1 - 1 / (x * x) + 3 / pow(x, 4) - 15 / pow(x, 6) + 105 / pow(x, 8) - 945 / pow(x, 10)
            let asymptotic = -x * x / 2 - log(-x) - 0.5 * log(2 * Double.pi) + log(series)
            // Within the series' truncation error (its next term) or 1e-14 relative.
            #expect(abs(GLMFamily.logNormalCDF(x) - asymptotic) < max(2 * 10395 / pow(x, 12), 1e-14 * abs(asymptotic)), "\(x)")
        }
        #expect(abs(GLMFamily.logNormalCDF(-3) - log(0.0013498980316300946)) < 1e-15)
    }
}
