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
        let remaining = Matrix.residual(of: residuals, on: instrumental.instrumentColumns)
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

/// The weak-identification F of an IV fit, ivreg2's: Cragg & Donald's (1993) F under a classical
/// covariance, the Kleibergen & Paap (2006) rk Wald F under a robust or one-way clustered one.
public struct WeakIdentificationStatistic: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case craggDonald = "cragg-donald"
        case kleibergenPaap = "kleibergen-paap"
    }

    public var kind: Kind
    public var statistic: Double
}

extension LinearFixedEffectsFit {
    /// The weak-identification F (Baum, Schaffer & Stillman 2007, ivreg2; linearmodels'
    /// `kleibergen_paap_f`): with the exogenous regressors and fixed effects partialled out of
    /// the endogenous regressors X and the excluded instruments Z (k of them, m endogenous, c
    /// exogenous parameters counting the fixed effects' rank),
    /// Θ = Q_zz^{-1/2}' Q_zx Q_xx^{-1/2} (Cholesky square roots), and r² its smallest squared
    /// singular value. Classical: Cragg–Donald F = (N − k − c)/k · r²/(1 − r²). Robust or
    /// clustered: the rk Wald statistic W = N λ'V_λ⁻¹λ for rank m − 1, λ = A'Θ b with b the
    /// smallest right singular vector and A a basis of the left singular space beyond the m − 1
    /// largest, V_λ the robust (or clustered) covariance of λ from the first-stage residuals;
    /// F = W (N − k − c)/(N k), clustered W (N − k − c)(G − 1)/(G (N − 1) k). nil for least
    /// squares, a weighted fit, or a singular covariance.
    public func weakIdentification(robust: Bool, clusters: [Int]?) -> WeakIdentificationStatistic? {
        guard let instrumental, weights == nil else { return nil }
        let endogenous = Set(instrumental.endogenous)
        var exogenous: [[Double]] = [], endogenousColumns: [[Double]] = []
        for (name, column) in zip(instrumental.regressorNames, instrumental.regressors) where names.contains(name) {
            if endogenous.contains(name) { endogenousColumns.append(column) } else { exogenous.append(column) }
        }
        let stage = instrumental.firstStages[0]
        let excluded = stage.names.indices.filter { instrumental.instruments.contains(stage.names[$0]) }.map { stage.demeaned[$0] }
        let n = Double(observations), k = excluded.count, m = endogenousColumns.count
        let c = Double(exogenous.count + fixedEffectsRank)
        guard m >= 1, k >= m else { return nil }
        // The exogenous regressors partialled out.
        let x = endogenousColumns.map { Matrix.residual(of: $0, on: exogenous) }, z = excluded.map { Matrix.residual(of: $0, on: exogenous) }
        func cross(_ a: [[Double]], _ b: [[Double]]) -> Matrix {
            var result = Matrix(rows: a.count, columns: b.count)
            for i in a.indices { for j in b.indices { result[i, j] = zip(a[i], b[j]).reduce(0) { $0 + $1.0 * $1.1 } / n } }
            return result
        }
        let zFactor = Cholesky(cross(z, z), tolerance: 0), xFactor = Cholesky(cross(x, x), tolerance: 0)
        guard zFactor.dropped.isEmpty, xFactor.dropped.isEmpty else { return nil }
        let zInverse = zFactor.lowerInverse(), xInverse = xFactor.lowerInverse()
        // Θ = L_z⁻¹ Q_zx L_x⁻ᵀ (k × m).
        let theta = zInverse * cross(z, x) * xInverse.transposed
        let gram = theta.transposed * theta
        let eigen = SymmetricEigen(gram)
        let order = (0..<m).sorted { eigen.values[$0] > eigen.values[$1] }
        let r2 = max(eigen.values[order[m - 1]], 0)
        if !robust {
            return WeakIdentificationStatistic(kind: .craggDonald, statistic: (n - Double(k) - c) / Double(k) * r2 / (1 - r2))
        }
        let smallest = (0..<m).map { eigen.vectors[$0, order[m - 1]] }
        // A basis of the left singular space beyond the m − 1 largest: the unit eigenvectors of
        // I − Σ u_j u_j', u_j = Θ v_j / s_j.
        var projector = Matrix(rows: k, columns: k)
        for i in 0..<k { projector[i, i] = 1 }
        for j in order.prefix(m - 1) {
            let s = eigen.values[j].squareRoot()
            let u = (0..<k).map { row in (0..<m).reduce(0) { $0 + theta[row, $1] * eigen.vectors[$1, j] } / s }
            for a in 0..<k { for b in 0..<k { projector[a, b] -= u[a] * u[b] } }
        }
        let complement = SymmetricEigen(projector)
        let basis = (0..<k).filter { complement.values[$0] > 0.5 }.map { column in (0..<k).map { complement.vectors[$0, column] } }
        // λ = A'Θb; the scores of λ are (Z L_z⁻ᵀ A)_i times the residuals' (L_x⁻ᵀ b)-combination.
        let thetaB = (0..<k).map { row in (0..<m).reduce(0) { $0 + theta[row, $1] * smallest[$1] } }
        let lambda = basis.map { zip($0, thetaB).reduce(0) { $0 + $1.0 * $1.1 } }
        let a = (0..<m).map { row in (0..<m).reduce(0) { $0 + xInverse[$1, row] * smallest[$1] } }
        let residuals = instrumental.firstStages.map(\.residuals)
        let e = (0..<observations).map { i in (0..<m).reduce(0) { $0 + residuals[$1][i] * a[$1] } }
        let columns = basis.map { direction -> [Double] in
            // (L_z⁻ᵀ A)_l = Σ_p L_z⁻¹[p, l] A_p, then Z times it.
            let weights = (0..<k).map { l in (0..<k).reduce(0) { $0 + zInverse[$1, l] * direction[$1] } }
            return (0..<observations).map { i in (0..<k).reduce(0) { $0 + z[$1][i] * weights[$1] } }
        }
        let groups = clusters.map(Clusters.init) ?? Clusters(singletons: observations)
        let variance = (1 / n) * groups.meat(columns: columns, weights: e)
        let factor = Cholesky(variance, tolerance: 1e-12)
        guard factor.dropped.isEmpty else { return nil }
        let wald = n * zip(lambda, factor.solve(lambda)).reduce(0) { $0 + $1.0 * $1.1 }
        let g = Double(groups.count)
        let scale = clusters == nil ? (n - Double(k) - c) / n : (n - Double(k) - c) * (g - 1) / (g * (n - 1))
        return WeakIdentificationStatistic(kind: .kleibergenPaap, statistic: wald * scale / Double(k))
    }
}
