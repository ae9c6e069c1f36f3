/// Small-sample scalings of the one-way clustered covariance (CR0 × factor). The tools agree on
/// the estimates and differ here by far more than 1e-6 (fixtures/models/README.md), so each one
/// is named; `fixest` is the default.
public enum ClusterAdjustment: String, CaseIterable, Sendable {
    /// No adjustment (CR0): R plm `vcovHC` HC0, sandwich HC0 with `cadjust = FALSE`.
    case none
    /// fixest and pyfixest: G/(G−1)·(N−1)/(N−K−F), where F counts the fixed-effect parameters of
    /// dimensions not nested in the clusters (fixest's `fixef.K = "nested"`): the rank of the
    /// fixed effects when none is nested, else 1 + Σ (levels − 1) over the others.
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
    /// G/(G−1) only: R sandwich's `vcovCL` default (`cadjust`, type HC0) and Stata's
    /// maximum-likelihood `vce(cluster)` (probit, logit).
    case sandwich
}

/// Small-sample scalings of the heteroskedasticity-robust covariance (HC0 × factor).
public enum HeteroskedasticAdjustment: String, CaseIterable, Sendable {
    /// HC0 (White).
    case none
    /// HC1: N/(N−K), K counting the regressors and the rank of the fixed effects — fixest's and
    /// pyfixest's `"hetero"`, Stata's `robust`, statsmodels' `HC1` with the dummies in the model.
    case hc1
    /// HC2: each squared residual divided by 1 − hᵢᵢ, the observation's leverage (MacKinnon &
    /// White 1985) — statsmodels' `HC2`, R sandwich's `vcovHC(type = "HC2")`. Without absorbed
    /// fixed effects only: their dummies' leverage is not formed.
    case hc2
    /// HC3: divided by (1 − hᵢᵢ)², the jackknife approximation — statsmodels' `HC3`.
    case hc3
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
    /// Why each of `dropped` was dropped: "constant within fixed effect k" (1-based, in the
    /// order given) or collinear.
    public let droppedReasons: [String]
    public let observations: Int
    /// Rank of the absorbed dummy block.
    public let fixedEffectsRank: Int
    public let residuals: [Double]
    public let residualSumOfSquares: Double
    /// 1 − RSS / (sum of squares of the demeaned outcome).
    public let withinRSquared: Double
    /// 1 − RSS / (sum of squares of the outcome about its mean): fixest's `r2`, statsmodels'
    /// `rsquared` with every dummy in the model.
    public let rSquared: Double
    /// σ̂²·(X̃'X̃)⁻¹ with σ̂² = RSS/(N − K − rank(FE)).
    public let iidCovariance: Matrix
    let bread: Matrix
    /// The regressors as regressed (demeaned; for 2SLS the fitted endogenous ones), kept ones only.
    let demeaned: [[Double]]
    let fixedEffects: FixedEffects
    /// The observation weights, when the fit is weighted.
    public let weights: ObservationWeights?

    /// For an IV fit: the first-stage regression of each endogenous regressor on the exogenous
    /// regressors and the excluded instruments (fixed effects absorbed alike), the instruments
    /// kept, and the endogenous regressors' names; nil for least squares.
    public let instrumental: Instrumental?

    public struct Instrumental: Sendable {
        public let endogenous: [String]
        /// The excluded instruments kept (a collinear one is dropped from the first stages).
        public let instruments: [String]
        public let firstStages: [LinearFixedEffectsFit]
        /// The demeaned outcome, regressors (exogenous then endogenous, as regressed) and
        /// instruments (exogenous then excluded), for the overidentification tests.
        let outcome: [Double]
        let regressorNames: [String]
        let regressors: [[Double]]
        let instrumentColumns: [[Double]]
    }

    /// The endogenous regressors of an IV model and their excluded instruments.
    public struct Instruments: Sendable {
        public var endogenous: [(name: String, values: [Double])]
        public var excluded: [(name: String, values: [Double])]

        public init(endogenous: [(name: String, values: [Double])], excluded: [(name: String, values: [Double])]) {
            self.endogenous = endogenous
            self.excluded = excluded
        }
    }

    public typealias Failure = EstimationFailure

    /// Fits `outcome ~ regressors | fixedEffects`, or with `instruments` by two-stage least
    /// squares (`outcome ~ regressors | fixedEffects | endogenous ~ excluded`): the endogenous
    /// regressors replaced by their first-stage fitted values in the normal equations and the
    /// covariance's bread and scores, the residuals those of the actual regressors — fixest's
    /// and linearmodels' IV2SLS, whose small-sample factors carry over unchanged.
    /// - Throws: `Failure` when the demeaning does not converge, or no regressor is left.
    /// With `weights`, weighted least squares (the fixed effects' means weighted too).
    public init(outcome: [Double], regressors: [(name: String, values: [Double])], fixedEffects: FixedEffects,
                weights: ObservationWeights? = nil, instruments: Instruments? = nil, demeaningTolerance: Double = 1e-13, maxSweeps: Int = 10_000) throws {
        // Without fixed effects this is OLS on the columns as given (an intercept is a column of
        // ones the caller includes, as ModelFrame does): nothing to demean.
        let endogenous = instruments?.endogenous ?? [], excluded = instruments?.excluded ?? []
        let variables = [("outcome", outcome)] + (regressors + endogenous + excluded).map { ($0.name, $0.values) }
        let demeaned = fixedEffects.dimensions.isEmpty
            ? variables.map { FixedEffects.Demeaned(values: $0.1, sweeps: 0, converged: true) }
            : fixedEffects.demean(columns: variables.map(\.1), weights: weights.map { fixedEffects.weights($0.values) },
                                  tolerance: demeaningTolerance, maxSweeps: maxSweeps)
        for (variable, result) in zip(variables, demeaned) where !result.converged {
            throw Failure(message: "demeaning '\(variable.0)' did not converge in \(result.sweeps) sweeps (tolerance \(demeaningTolerance)); the fit is not given. "
                          + "A weakly connected panel (long chains of units linked through few observations) converges slowly: raise max_sweeps or loosen demeaning_tolerance")
        }
        let y = demeaned[0].values
        let columns = demeaned.dropFirst().map(\.values)
        let exogenous = Array(columns[0..<regressors.count])
        guard let instruments else {
            try self.init(outcome: outcome, demeanedOutcome: y, regressors: regressors, design: exogenous, actual: nil, fixedEffects: fixedEffects,
                          weights: weights, instrumental: nil)
            return
        }
        let endogenousColumns = Array(columns[regressors.count..<(regressors.count + endogenous.count)])
        let excludedColumns = Array(columns[(regressors.count + endogenous.count)...])
        // First stages: each endogenous regressor on the exogenous ones and the instruments.
        let firstStages = try zip(endogenous, endogenousColumns).map { variable, column in
            try LinearFixedEffectsFit(outcome: variable.values, demeanedOutcome: column, regressors: regressors + excluded,
                                      design: exogenous + excludedColumns, actual: nil, fixedEffects: fixedEffects, weights: weights, instrumental: nil)
        }
        let kept = instruments.excluded.map(\.name).filter { firstStages[0].names.contains($0) }
        guard kept.count >= endogenous.count else {
            throw Failure(message: "\(endogenous.count) endogenous regressors need \(endogenous.count) instruments, and only \(kept.count) of "
                          + "\(instruments.excluded.map(\.name).joined(separator: ", ")) vary beyond the regressors and fixed effects; the model is not identified")
        }
        let fitted = zip(firstStages, endogenousColumns).map { stage, column in zip(column, stage.residuals).map { $0 - $1 } }
        let keptInstruments = firstStages[0].names.indices.map { firstStages[0].demeaned[$0] }
        try self.init(outcome: outcome, demeanedOutcome: y, regressors: regressors + endogenous, design: exogenous + fitted,
                      actual: exogenous + endogenousColumns, fixedEffects: fixedEffects, weights: weights,
                      instrumental: Instrumental(endogenous: endogenous.map(\.name), instruments: kept, firstStages: firstStages,
                                                 outcome: y, regressorNames: (regressors + endogenous).map(\.name), regressors: exogenous + endogenousColumns,
                                                 instrumentColumns: keptInstruments))
    }

    /// Least squares of the demeaned outcome on the `design` columns (the regressors demeaned,
    /// or for 2SLS with the fitted endogenous ones); the residuals of the `actual` columns when
    /// they differ from the design.
    private init(outcome: [Double], demeanedOutcome y: [Double], regressors: [(name: String, values: [Double])], design columns: [[Double]],
                 actual: [[Double]]?, fixedEffects: FixedEffects, weights: ObservationWeights?, instrumental: Instrumental?) throws {
        let n = outcome.count
        let w = weights?.values ?? [Double](repeating: 1, count: n)
        // Collinearity is judged against each regressor's sum of squares before absorption: one
        // the fixed effects absorb leaves only rounding noise, which judged against itself
        // would pass and give a garbage coefficient (fixest drops it).
        let reference = regressors.map { regressor in zip(regressor.values, w).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } }
        let factor = Cholesky(Matrix.gram(columns, weights: weights?.values), reference: reference)
        guard !factor.kept.isEmpty else { throw Failure(message: "every regressor is collinear with the fixed effects") }
        let solution = factor.solve(Matrix.crossProduct(columns, weights == nil ? y : zip(y, w).map(*)))
        let kept = factor.kept
        names = kept.map { regressors[$0].name }
        dropped = factor.dropped.map { regressors[$0].name }
        droppedReasons = factor.dropped.map { index in
            fixedEffects.dimension(holdingConstant: regressors[index].values).map { "constant within fixed effect \($0 + 1)" }
                ?? (fixedEffects.dimensions.isEmpty ? "collinear with the regressors before it" : "collinear with the regressors before it or the fixed effects")
        }
        let coefficients = kept.map { solution[$0] }
        self.coefficients = coefficients
        let keptColumns = kept.map { columns[$0] }
        var residuals = y
        residuals.withUnsafeMutableBufferPointer { residuals in
            for (column, coefficient) in zip(kept.map { (actual ?? columns)[$0] }, coefficients) {
                column.withUnsafeBufferPointer { column in
                    for row in 0..<n { residuals[row] -= column[row] * coefficient }
                }
            }
        }
        self.residuals = residuals
        observations = n
        fixedEffectsRank = fixedEffects.rank
        // Weighted: RSS = Σ w e², R² about the weighted mean.
        residualSumOfSquares = zip(residuals, w).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        let totalWeight = w.reduce(0, +)
        let mean = zip(outcome, w).reduce(0) { $0 + $1.1 * $1.0 } / totalWeight
        rSquared = 1 - residualSumOfSquares / zip(outcome, w).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) }
        withinRSquared = fixedEffects.dimensions.isEmpty ? rSquared : 1 - residualSumOfSquares / zip(y, w).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        bread = factor.inverse()
        self.weights = weights
        let sigma2 = residualSumOfSquares / ((weights?.count ?? Double(n)) - Double(kept.count + fixedEffectsRank))
        iidCovariance = sigma2 * bread
        self.demeaned = keptColumns
        self.fixedEffects = fixedEffects
        self.instrumental = instrumental
    }

    /// The heteroskedasticity-robust covariance (White's sandwich, HC0) scaled by `adjustment`.
    /// - Throws: `Failure` for HC2/HC3 with absorbed fixed effects, or an observation of
    ///   leverage 1 (its residual is zero whatever y is, so the correction is undefined).
    public func heteroskedasticCovariance(adjustment: HeteroskedasticAdjustment = .hc1) throws -> Matrix {
        var weights = scores(singletonClusters: true)
        let n = effectiveObservations, k = Double(names.count + fixedEffectsRank)
        let scale: Double
        switch adjustment {
        case .none: scale = 1
        case .hc1: scale = n / (n - k)
        case .hc2, .hc3:
            guard instrumental == nil else { throw Failure(message: "\(adjustment.rawValue) with instruments is not computed; use hc1 or a cluster") }
            guard fixedEffects.dimensions.isEmpty else {
                throw Failure(message: "\(adjustment.rawValue) needs each observation's leverage, which absorbed fixed effects hide; use hc1 or a cluster, or enter the effects as i(f) terms")
            }
            guard self.weights == nil else { throw Failure(message: "\(adjustment.rawValue) with weights is not computed; use hc1 or a cluster") }
            let power = adjustment == .hc2 ? 0.5 : 1
            for row in 0..<observations {
                // hᵢᵢ = xᵢ' (X'X)⁻¹ xᵢ
                var leverage = 0.0
                for a in 0..<demeaned.count {
                    var inner = 0.0
                    for b in 0..<demeaned.count { inner += bread[a, b] * demeaned[b][row] }
                    leverage += demeaned[a][row] * inner
                }
                guard leverage < 1 - 1e-10 else {
                    throw Failure(message: "observation \(row + 1) has leverage 1 (a dummy or a value that only it has), so \(adjustment.rawValue) is undefined; use hc1")
                }
                weights[row] /= power == 1 ? 1 - leverage : (1 - leverage).squareRoot()
            }
            scale = 1
        }
        let meat = Clusters(singletons: observations).meat(columns: demeaned, weights: weights)
        return scale * (bread * meat * bread)
    }

    /// The one-way clustered covariance (sandwich with the scores summed within each cluster),
    /// scaled by `adjustment`. `clusters` holds a cluster code per observation.
    public func clusteredCovariance(_ clusters: [Int], adjustment: ClusterAdjustment = .fixest) -> Matrix {
        let groups = Clusters(clusters)
        let meat = groups.meat(columns: demeaned, weights: clusterScores)
        return scale(adjustment, groups: groups.count, clusteredBy: [clusters]) * (bread * meat * bread)
    }

    /// The Newey–West (one row per period) or Driscoll–Kraay (scores summed within each period)
    /// covariance with Bartlett weights over `lags` periods, unscaled (statsmodels' `HAC` and
    /// `hac-groupsum`); `periods` is each observation's period as its rank in time.
    public func kernelCovariance(periods: [Int], lags: Int) -> Matrix {
        bread * KernelCovariance.meat(columns: demeaned, scores: clusterScores, periods: periods, lags: lags) * bread
    }

    /// Conley's spatial HAC covariance (`SpatialCovariance`), unscaled.
    public func spatialCovariance(latitude: [Double], longitude: [Double], cutoff: Double, kernel: SpatialCovariance.Kernel,
                                  periods: [Int]? = nil, units: [Int]? = nil, lag: Int = 0) -> Matrix {
        bread * SpatialCovariance.meat(columns: demeaned, scores: clusterScores, latitude: latitude, longitude: longitude, cutoff: cutoff,
                                       kernel: kernel, periods: periods, units: units, lag: lag) * bread
    }

    /// N for the small-sample factors: Σ w for frequency weights, else the rows.
    public var effectiveObservations: Double { weights?.count ?? Double(observations) }

    /// Each observation's score multiplier in a sandwich's meat: e, or e times the weight's
    /// factor (`ObservationWeights.scoreFactor`).
    private var clusterScores: [Double] { scores(singletonClusters: false) }

    private func scores(singletonClusters: Bool) -> [Double] {
        guard let weights else { return residuals }
        return residuals.indices.map { residuals[$0] * weights.scoreFactor($0, singletonClusters: singletonClusters) }
    }

    /// The two-way clustered covariance of Cameron, Gelbach and Miller (2011): V_A + V_B − V_A∩B,
    /// each term scaled by `adjustment` as a one-way covariance. fixest (its default
    /// `cluster.df = "min"`) gives every term the G of the smaller dimension; the others give
    /// each term its own G, as statsmodels' `cov_cluster_2groups` does.
    public func clusteredCovariance(_ first: [Int], _ second: [Int], adjustment: ClusterAdjustment = .fixest) -> Matrix {
        let a = Clusters(first), b = Clusters(second)
        let both = Clusters(intersecting: a, b)
        let smallest = min(a.count, b.count)
        var total = Matrix(rows: names.count, columns: names.count)
        for (groups, sign) in [(a, 1.0), (b, 1.0), (both, -1.0)] {
            let g = adjustment == .fixest ? smallest : groups.count
            let term = scale(adjustment, groups: g, clusteredBy: [first, second]) * groups.meat(columns: demeaned, weights: clusterScores)
            for index in total.values.indices { total.values[index] += sign * term.values[index] }
        }
        return bread * total * bread
    }

    private func scale(_ adjustment: ClusterAdjustment, groups: Int, clusteredBy clusterings: [[Int]]) -> Double {
        let g = Double(groups), n = effectiveObservations, kk = Double(names.count)
        let fe = Double(fixedEffectsRank)
        switch adjustment {
        case .none: return 1
        case .fixest:
            // Dimensions nested in a clustering are not counted. When any is, the count is the
            // constant plus each other dimension's levels but its base: 1 + Σ (levels − 1)
            // (pyfixest's df_k: 20 for province nested in province clusters beside 14 years,
            // 7 when province and year are both clustered on).
            let nested = fixedEffects.dimensions.indices.filter { dimension in
                clusterings.contains { fixedEffects.isNested(dimension, in: $0) }
            }
            let counted = nested.isEmpty ? fixedEffectsRank
                : 1 + fixedEffects.levels.indices.filter { !nested.contains($0) }.reduce(0) { $0 + fixedEffects.levels[$1] - 1 }
            return g / (g - 1) * (n - 1) / (n - kk - Double(counted))
        case .linearmodels: return n / (n - kk - fe)
        case .statsmodels: return g / (g - 1) * (n - 1) / (n - kk - fe)
        case .plmSSS: return g / (g - 1) * (n - 1) / (n - kk)
        case .plmHC1: return n / (n - kk)
        case .sandwich: return g / (g - 1)
        }
    }

    /// Standard errors from a covariance matrix.
    public static func standardErrors(_ covariance: Matrix) -> [Double] {
        covariance.diagonal.map { $0.squareRoot() }
    }
}
