/// Small-sample scalings of the one-way clustered covariance (CR0 × factor). The tools agree on
/// the estimates and differ here by far more than 1e-6 (fixtures/models/README.md), so each one
/// is named; `fixest` is the default.
public enum ClusterAdjustment: String, CaseIterable, Sendable {
    /// No adjustment (CR0): R plm `vcovHC` HC0, sandwich HC0 with `cadjust = FALSE`.
    case none
    /// fixest and pyfixest: G/(G−1)·(N−1)/(N−K−F), where F counts the fixed-effect parameters of
    /// dimensions not nested in the clusters (fixest's `fixef.K = "nested"`).
    case fixest
    /// linearmodels `PanelOLS` (debiased, effects counted): N/(N−K−nFE).
    case linearmodels
    /// statsmodels OLS with dummies, sandwich `vcovCL` HC1, linearmodels `group_debias`:
    /// G/(G−1)·(N−1)/(N−K−nFE).
    case statsmodels
    /// R plm `vcovHC(type = "sss")`: G/(G−1)·(N−1)/(N−K).
    case plmSSS = "plm-sss"
    /// R plm `vcovHC(type = "HC1")`: N/(N−K).
    case plmHC1 = "plm-hc1"
}

/// A linear regression with fixed effects absorbed (Frisch–Waugh–Lovell: the slopes of OLS on
/// the demeaned variables equal those of OLS with every dummy), as in an-fu-2026's two-way
/// province + year panel. Conventions follow fixest (R) — within R² over the demeaned outcome,
/// residual degrees of freedom N − K − rank(FE) — and are cross-checked against an independent
/// numpy LSDV fit (`Tests/Fixtures/models/ref_m2.py`).
public struct LinearFixedEffectsFit: Sendable {
    /// Names and estimates of the kept regressors; `dropped` were collinear and left out.
    public let names: [String]
    public let coefficients: [Double]
    public let dropped: [String]
    public let observations: Int
    /// Rank of the absorbed dummy block.
    public let fixedEffectsRank: Int
    public let residuals: [Double]
    public let residualSumOfSquares: Double
    /// 1 − RSS / (sum of squares of the demeaned outcome).
    public let withinRSquared: Double
    /// σ̂²·(X̃'X̃)⁻¹ with σ̂² = RSS/(N − K − rank(FE)).
    public let iidCovariance: Matrix
    private let bread: Matrix
    private let demeaned: [[Double]]
    private let fixedEffects: FixedEffects

    /// Why a fit cannot be given.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Fits `outcome ~ regressors | fixedEffects`.
    /// - Throws: `Failure` when the demeaning does not converge, or no regressor is left.
    public init(outcome: [Double], regressors: [(name: String, values: [Double])], fixedEffects: FixedEffects) throws {
        let n = outcome.count
        // No fixed effects is one constant: the intercept, absorbed like any other.
        let fixedEffects = fixedEffects.dimensions.isEmpty ? FixedEffects([Array(repeating: 0, count: n)]) : fixedEffects
        func demean(_ values: [Double], _ name: String) throws -> [Double] {
            let result = fixedEffects.demean(values)
            guard result.converged else {
                throw Failure(message: "demeaning '\(name)' did not converge in \(result.sweeps) sweeps; the fit is not given")
            }
            return result.values
        }
        let y = try demean(outcome, "outcome")
        let columns = try regressors.map { try demean($0.values, $0.name) }
        let factor = Cholesky(Matrix.gram(columns))
        guard !factor.kept.isEmpty else { throw Failure(message: "every regressor is collinear with the fixed effects") }
        let solution = factor.solve(Matrix.crossProduct(columns, y))
        let kept = factor.kept
        names = kept.map { regressors[$0].name }
        dropped = factor.dropped.map { regressors[$0].name }
        coefficients = kept.map { solution[$0] }
        let keptColumns = kept.map { columns[$0] }
        var residuals = y
        for (column, coefficient) in zip(keptColumns, coefficients) {
            for row in 0..<n { residuals[row] -= column[row] * coefficient }
        }
        self.residuals = residuals
        observations = n
        fixedEffectsRank = fixedEffects.rank
        residualSumOfSquares = residuals.reduce(0) { $0 + $1 * $1 }
        withinRSquared = 1 - residualSumOfSquares / y.reduce(0) { $0 + $1 * $1 }
        bread = factor.inverse()
        let sigma2 = residualSumOfSquares / Double(n - kept.count - fixedEffectsRank)
        iidCovariance = sigma2 * bread
        self.demeaned = keptColumns
        self.fixedEffects = fixedEffects
    }

    /// The one-way clustered covariance (sandwich with the scores summed within each cluster),
    /// scaled by `adjustment`. `clusters` holds a cluster code per observation.
    public func clusteredCovariance(_ clusters: [Int], adjustment: ClusterAdjustment = .fixest) -> Matrix {
        let k = names.count
        var scores: [Int: [Double]] = [:]
        for row in 0..<observations {
            var score = scores[clusters[row]] ?? Array(repeating: 0, count: k)
            for column in 0..<k { score[column] += demeaned[column][row] * residuals[row] }
            scores[clusters[row]] = score
        }
        var meat = Matrix(rows: k, columns: k)
        for score in scores.values {
            for i in 0..<k { for j in 0..<k { meat[i, j] += score[i] * score[j] } }
        }
        let g = Double(scores.count), n = Double(observations), kk = Double(k)
        let fe = Double(fixedEffectsRank)
        let scale: Double
        switch adjustment {
        case .none: scale = 1
        case .fixest:
            // Dimensions nested in the clusters are not counted; one constant is kept back
            // when any is nested (it absorbs the intercept of the others).
            let nested = fixedEffects.dimensions.indices.filter { fixedEffects.isNested($0, in: clusters) }
            let nestedLevels = nested.reduce(0) { $0 + fixedEffects.levels[$1] }
            let counted = fixedEffectsRank - nestedLevels + (nested.isEmpty ? 0 : 1)
            scale = g / (g - 1) * (n - 1) / (n - kk - Double(counted))
        case .linearmodels: scale = n / (n - kk - fe)
        case .statsmodels: scale = g / (g - 1) * (n - 1) / (n - kk - fe)
        case .plmSSS: scale = g / (g - 1) * (n - 1) / (n - kk)
        case .plmHC1: scale = n / (n - kk)
        }
        return scale * (bread * meat * bread)
    }

    /// Standard errors from a covariance matrix.
    public static func standardErrors(_ covariance: Matrix) -> [Double] {
        covariance.diagonal.map { $0.squareRoot() }
    }
}
