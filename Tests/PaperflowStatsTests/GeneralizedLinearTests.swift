import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// The GLM engine (Poisson, logit, probit with absorbed fixed effects) against pyfixest 0.60's
/// fepois/feglm and statsmodels 0.15 with every dummy entered, on the seeded panels of
/// `Tests/Fixtures/models/ref_glm.py` (planted coefficients; separated levels built in).
@Suite("GLM with absorbed fixed effects")
struct GeneralizedLinearTests {
    struct Reference: Decodable {
        var terms: [String]
        var coef: [Double]
        var nobs: Int
        var se_iid: [Double]?
        var se_hetero: [Double]?
        var se_nonrobust: [Double]?
        var se_HC0: [Double]?
        var se_cluster: [Double]
        var params: Int?
        var loglik: Double?
    }

    static let models: [String: (formula: String, file: String, family: GLMFamily, cluster: String)] = [
        "poisson2": ("trade ~ rta + ltariff + ldist | exp_year + imp_year", "glm_trade.csv", .poisson, "exporter"),
        "poisson3": ("trade ~ rta + ltariff | exp_year + imp_year + pair", "glm_trade.csv", .poisson, "pair"),
        "logit": ("export ~ x1 + x2 | firm + year", "glm_firms.csv", .logit, "firm"),
        "probit": ("export ~ x1 + x2 | firm + year", "glm_firms.csv", .probit, "firm"),
    ]

    static func table(_ file: String) throws -> Table {
        var (table, _) = try CSVReader.read(contentsOf: Fixtures.url("models/\(file)"), displayPath: file)
        if file == "glm_trade.csv" {
            let exporter = try table.column("exporter"), importer = try table.column("importer"), year = try table.column("year")
            func joined(_ a: Column, _ b: Column) -> Column {
                Column(string: (0..<table.rowCount).map { "\(a[$0].description)_\(b[$0].description)" })
            }
            table = try table.adding("exp_year", joined(exporter, year)).adding("imp_year", joined(importer, year)).adding("pair", joined(exporter, importer))
        }
        return table
    }

    static func fit(_ name: String) throws -> (GeneralizedLinearFit, ModelFrame, [Int]) {
        let model = models[name]!
        let table = try table(model.file)
        let frame = try ModelFrame(try Formula(model.formula), table: table)
        let fit = try GeneralizedLinearFit(model.family, outcome: frame.outcome, regressors: frame.linearRegressors,
                                           fixedEffects: frame.absorbed, labels: frame.fixedEffects.map { ($0.name, $0.levels) })
        let codes = try table.column(model.cluster).levelCodes().codes
        return (fit, frame, fit.usedRows.map { Int(codes[frame.rows[$0]]) })
    }

    static func reference(_ file: String, _ name: String) throws -> Reference {
        try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/\(file)")))[name]!
    }

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    @Test("coefficients equal statsmodels' with dummies within 1e-8 and pyfixest's within 1e-8 (probit 1e-7: its IWLS stops there); N, separated levels and log-likelihood agree",
          arguments: ["poisson2", "poisson3", "logit", "probit"])
    func coefficients(name: String) throws {
        let (fit, _, _) = try Self.fit(name)
        let pyfixest = try Self.reference("glm_pyfixest.json", name), statsmodels = try Self.reference("glm_statsmodels.json", name)
        #expect(fit.names == statsmodels.terms)
        #expect(fit.observations == statsmodels.nobs && fit.observations == pyfixest.nobs)
        for (got, want) in zip(fit.coefficients, statsmodels.coef) { #expect(Self.relative(got, want) < 1e-8, "\(got) vs statsmodels \(want)") }
        for (got, want) in zip(fit.coefficients, pyfixest.coef) {
            #expect(Self.relative(got, want) < (name == "probit" ? 1e-7 : 1e-8), "\(got) vs pyfixest \(want)")
        }
        #expect(Self.relative(fit.logLikelihood, statsmodels.loglik!) < 1e-10)
        #expect(fit.dropped.isEmpty)
        if name.hasPrefix("poisson") {
            // Exporter 3 ships nothing in 2002: that exporter-year is all zero and is dropped.
            #expect(fit.separated.contains { $0.factor == "exp_year" && $0.level == "C03_2002" && $0.outcome == 0 })
        } else {
            // Firms 0–3 always export, 4–7 never.
            let firms = fit.separated.filter { $0.factor == "firm" }.map(\.level).sorted()
            #expect(Array(firms.prefix(8)) == (0..<8).map { String(format: "F%03d", $0) })
        }
    }

    @Test("standard errors under fixest's conventions equal pyfixest's (iid, hetero, clustered) within 1e-6",
          arguments: ["poisson2", "poisson3", "logit", "probit"])
    func fixestStandardErrors(name: String) throws {
        let (fit, frame, _) = try Self.fit(name)
        let pyfixest = try Self.reference("glm_pyfixest.json", name)
        let table = try Self.table(Self.models[name]!.file)
        let clusters = try table.column(Self.models[name]!.cluster).levelCodes().codes
        let original = frame.rows.map { Int(clusters[$0]) }
        let kinds: [(GeneralizedLinearFit.GLMCovarianceKind, [Double])] = [
            (.classical, pyfixest.se_iid!), (.robust, pyfixest.se_hetero!), (.clustered([original]), pyfixest.se_cluster),
        ]
        // Probit's coefficients differ by 1e-8 between the two tools, its SEs by ~1e-7.
        let tolerance = name == "probit" ? 1e-6 : 1e-8
        for (kind, expected) in kinds {
            let matrix = try fit.covariance(kind, convention: .fixest).matrix
            for (index, want) in expected.enumerated() {
                #expect(Self.relative(matrix[index, index].squareRoot(), want) < tolerance, "\(kind) \(fit.names[index])")
            }
        }
    }

    @Test("standard errors under statsmodels' conventions equal statsmodels' with dummies (observed information; nonrobust, HC0, clustered) within 1e-8",
          arguments: ["poisson2", "logit", "probit"])
    func statsmodelsStandardErrors(name: String) throws {
        let (fit, frame, _) = try Self.fit(name)
        let statsmodels = try Self.reference("glm_statsmodels.json", name)
        #expect(fit.names.count + fit.fixedEffectsRank == statsmodels.params)
        let table = try Self.table(Self.models[name]!.file)
        let clusters = try table.column(Self.models[name]!.cluster).levelCodes().codes
        let original = frame.rows.map { Int(clusters[$0]) }
        let kinds: [(GeneralizedLinearFit.GLMCovarianceKind, [Double])] = [
            (.classical, statsmodels.se_nonrobust!), (.robust, statsmodels.se_HC0!), (.clustered([original]), statsmodels.se_cluster),
        ]
        for (kind, expected) in kinds {
            let matrix = try fit.covariance(kind, convention: .statsmodels).matrix
            for (index, want) in expected.enumerated() {
                #expect(Self.relative(matrix[index, index].squareRoot(), want) < 1e-8, "\(kind) \(fit.names[index])")
            }
        }
    }

    @Test("a regressor constant within pairs is dropped and named, the fit of the rest unchanged")
    func absorbedRegressor() throws {
        let table = try Self.table("glm_trade.csv")
        let frame = try ModelFrame(try Formula("trade ~ rta + ldist + ltariff | exp_year + imp_year + pair"), table: table)
        let fit = try GeneralizedLinearFit(.poisson, outcome: frame.outcome, regressors: frame.linearRegressors,
                                           fixedEffects: frame.absorbed, labels: frame.fixedEffects.map { ($0.name, $0.levels) })
        #expect(fit.names == ["rta", "ltariff"])
        #expect(fit.dropped.map(\.name) == ["ldist"])
        #expect(fit.dropped.first?.reason == "constant within pair")
        let reference = try Self.reference("glm_statsmodels.json", "poisson3")
        for (got, want) in zip(fit.coefficients, reference.coef) { #expect(Self.relative(got, want) < 1e-8) }
    }
}

/// The Jacobi eigen-decomposition and the positive semi-definite fix of two-way clustered
/// covariances (Cameron, Gelbach & Miller 2011; fixest's `vcov_fix`).
@Suite("Symmetric eigen-decomposition")
struct SymmetricEigenTests {
    @Test("V Λ V' rebuilds seeded symmetric matrices within 1e-12, V orthonormal; a 2×2's eigenvalues are the closed form's")
    func decomposition() {
        var state: UInt64 = 7
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        for n in [1, 2, 5, 12] {
            var a = Matrix(rows: n, columns: n)
            for i in 0..<n { for j in 0...i { a[i, j] = uniform(); a[j, i] = a[i, j] } }
            let eigen = SymmetricEigen(a)
            for i in 0..<n {
                for j in 0..<n {
                    let rebuilt = (0..<n).reduce(0) { $0 + eigen.vectors[i, $1] * eigen.values[$1] * eigen.vectors[j, $1] }
                    #expect(abs(rebuilt - a[i, j]) < 1e-12)
                    let dot = (0..<n).reduce(0) { $0 + eigen.vectors[$1, i] * eigen.vectors[$1, j] }
                    #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
                }
            }
        }
        var b = Matrix(rows: 2, columns: 2)
        b.values = [1, 2, 2, -3]
        let values = SymmetricEigen(b).values.sorted()
        // (a + d)/2 ± √(((a − d)/2)² + b²) = −1 ± √8
        #expect(abs(values[0] - (-1 - 8.0.squareRoot())) < 1e-14 && abs(values[1] - (-1 + 8.0.squareRoot())) < 1e-14)
    }

    @Test("a covariance with a negative variance (an SE of NaN) is made PSD: negative eigenvalues set to 0, the SE finite and the closed form's")
    func positiveSemidefinite() {
        var v = Matrix(rows: 2, columns: 2)
        v.values = [1, 2, 2, -3]
        #expect(v[1, 1].squareRoot().isNaN)
        let (fixed, adjusted) = SymmetricEigen.positiveSemidefinite(v)
        #expect(adjusted)
        // Only λ = −1 + √8 survives, with eigenvector ∝ (2, λ − 1)... normalised: v vᵀ λ.
        let lambda = -1 + 8.0.squareRoot()
        let x = 2.0, y = lambda - 1, norm = x * x + y * y
        #expect(abs(fixed[0, 0] - lambda * x * x / norm) < 1e-14)
        #expect(abs(fixed[1, 1] - lambda * y * y / norm) < 1e-14)
        #expect(abs(fixed[0, 1] - lambda * x * y / norm) < 1e-14)
        #expect(fixed[1, 1].squareRoot().isFinite)
        var identity = Matrix(rows: 2, columns: 2)
        identity.values = [2, 0.5, 0.5, 1]
        #expect(SymmetricEigen.positiveSemidefinite(identity) == (identity, false))
    }
}
