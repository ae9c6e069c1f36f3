/// The statistics an IV fit is reported with: the first-stage F of the excluded instruments, and
/// the tests of overidentifying restrictions (Sargan's under homoskedasticity, Hansen's J under a
/// robust or clustered covariance) when there are more instruments than endogenous regressors.
///
/// Conventions: the first-stage F is the Wald statistic of the excluded instruments' first-stage
/// coefficients under the covariance the model uses, divided by their number — fixest's `ivwald`,
/// pyfixest's first-stage F, linearmodels' `first_stage.diagnostics` `f.stat` (which leaves it
/// undivided under a robust covariance); with one endogenous regressor under a robust or clustered
/// covariance this is the Kleibergen–Paap (2006) rk Wald F (Stata's ivreg2 reports it with its
/// own small-sample factor). Sargan (1958): N·(1 − e'M_Z e / e'e) on the 2SLS residuals
/// (linearmodels' `sargan`). Hansen (1982) J: the two-step efficient GMM criterion, its weight
/// the inverse of the moment covariance at the 2SLS residuals, each observation (robust) or each
/// cluster a term — linearmodels' `IVGMM(...).fit(cov_type=...).j_stat` and ivreg2's J.
/// With fixed effects, every column is the demeaned one (the effects partialled out, as
/// ivreghdfe does).
public struct FirstStageStatistic: Sendable, Equatable {
    public var endogenous: String
    public var statistic: Double
    public var instruments: Int
    public var denominatorDegrees: Double
    public var pValue: Double
}

/// A test of overidentifying restrictions: χ² with (instruments − endogenous) degrees.
public struct OveridentificationTest: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case sargan
        case hansen
    }

    public var kind: Kind
    public var statistic: Double
    public var degrees: Int
    public var pValue: Double

    init(_ kind: Kind, statistic: Double, degrees: Int) {
        self.kind = kind
        self.statistic = statistic
        self.degrees = degrees
        pValue = Distribution.chiSquareUpperTail(statistic, degrees: Double(degrees))
    }
}

extension LinearFixedEffectsFit {
    /// The first-stage F of each endogenous regressor: its first stage's excluded-instrument
    /// coefficients b tested jointly, b'V⁻¹b / q, with V and the denominator degrees of freedom
    /// from `covariance` applied to that first stage (the model's vcov).
    public func firstStageStatistics(covariance: (LinearFixedEffectsFit) throws -> (matrix: Matrix, degrees: Double)) rethrows -> [FirstStageStatistic] {
        guard let instrumental else { return [] }
        return try zip(instrumental.endogenous, instrumental.firstStages).map { endogenous, stage in
            let positions = instrumental.instruments.compactMap { stage.names.firstIndex(of: $0) }
            let (matrix, degrees) = try covariance(stage)
            var block = Matrix(rows: positions.count, columns: positions.count)
            for (a, i) in positions.enumerated() { for (b, j) in positions.enumerated() { block[a, b] = matrix[i, j] } }
            let estimates = positions.map { stage.coefficients[$0] }
            let solved = Cholesky(block, tolerance: 0).solve(estimates)
            let q = Double(positions.count)
            let f = zip(estimates, solved).reduce(0) { $0 + $1.0 * $1.1 } / q
            return FirstStageStatistic(endogenous: endogenous, statistic: f, instruments: positions.count, denominatorDegrees: degrees,
                                       pValue: Distribution.fUpperTail(f, numerator: q, denominator: degrees))
        }
    }

    /// Sargan's test, for an overidentified unweighted fit (nil otherwise).
    public var sarganTest: OveridentificationTest? {
        guard let instrumental, weights == nil, instrumental.instruments.count > instrumental.endogenous.count else { return nil }
        let z = instrumental.instrumentColumns
        let projection = Cholesky(Matrix.gram(z)).solve(Matrix.crossProduct(z, residuals))
        var remaining = residuals
        for (column, coefficient) in zip(z, projection) { for row in remaining.indices { remaining[row] -= column[row] * coefficient } }
        let total = residuals.reduce(0) { $0 + $1 * $1 }, left = remaining.reduce(0) { $0 + $1 * $1 }
        return OveridentificationTest(.sargan, statistic: Double(observations) * (1 - left / total),
                                      degrees: instrumental.instruments.count - instrumental.endogenous.count)
    }

    /// Hansen's J for an overidentified unweighted fit, each observation a term of the moment
    /// covariance (`clusters` nil) or each cluster; nil when exactly identified, weighted, or
    /// when that covariance is singular (fewer clusters than instruments).
    public func hansenTest(clusters: [Int]?) -> OveridentificationTest? {
        guard let instrumental, weights == nil, instrumental.instruments.count > instrumental.endogenous.count else { return nil }
        let z = instrumental.instrumentColumns, y = instrumental.outcome
        let x = instrumental.regressors.indices.filter { names.contains(instrumental.regressorNames[$0]) }.map { instrumental.regressors[$0] }
        let groups = clusters.map(Clusters.init) ?? Clusters(singletons: observations)
        let moments = Cholesky(groups.meat(columns: z, weights: residuals), tolerance: 1e-12)
        guard moments.dropped.isEmpty else { return nil }
        let weight = moments.inverse()
        // Two-step GMM: b = (A W A')⁻¹ A W Z'y with A = X'Z.
        var a = Matrix(rows: x.count, columns: z.count)
        a.values = x.flatMap { column in z.map { zip(column, $0).reduce(0) { $0 + $1.0 * $1.1 } } }
        let aw = a * weight
        var normal = Matrix(rows: x.count, columns: x.count)
        for i in 0..<x.count { for j in 0..<x.count { normal[i, j] = (0..<z.count).reduce(0) { $0 + aw[i, $1] * a[j, $1] } } }
        let zy = Matrix.crossProduct(z, y)
        let right = (0..<x.count).map { i in (0..<z.count).reduce(0) { $0 + aw[i, $1] * zy[$1] } }
        let estimates = Cholesky(normal, tolerance: 0).solve(right)
        var errors = y
        for (column, coefficient) in zip(x, estimates) { for row in errors.indices { errors[row] -= column[row] * coefficient } }
        let g = Matrix.crossProduct(z, errors)
        let solved = moments.solve(g)
        return OveridentificationTest(.hansen, statistic: zip(g, solved).reduce(0) { $0 + $1.0 * $1.1 },
                                      degrees: instrumental.instruments.count - instrumental.endogenous.count)
    }
}
