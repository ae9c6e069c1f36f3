/// Observations separated by the regressors and the fixed effects together in a Poisson model:
/// those with y = 0 that some combination z = Xγ (fixed effects included) fits exactly, z = 0
/// where y > 0 and z ≥ 0 where y = 0 — their fitted mean goes to zero as γ goes to infinity, so
/// the estimates do not exist until they are dropped (Correia, Guimarães & Zylkin 2019,
/// "Verifying the existence of maximum likelihood estimates for generalized linear models",
/// arXiv:1903.01633). Found by their iterative rectifier, with the conventions of ppmlhdfe's
/// `separation(ir)` as pyfixest 0.60 implements it (`separation_check=["ir"]`): u = 1{y = 0};
/// repeatedly, a least-squares fit of u on the regressors and fixed effects with weight
/// K = N₊/ε² where y > 0 (N₊ of them, ε = 1e-4) and 1 elsewhere; fitted values within
/// (−0.1ε, ε) and those where y > 0 count as zero; once none is negative, the rows with a
/// positive fitted value are separated; otherwise u takes the fitted values' positive part
/// where y = 0 (the rectifier) and the fit is repeated, at most 100 times.
enum PoissonSeparation {
    static let tolerance = 1e-4
    static let maxIterations = 100

    /// The rows of `outcome` separated by `regressors` and `fixedEffects`, in order; none when
    /// every outcome is positive, or (as pyfixest) when the rectifier does not settle.
    /// - Throws: `EstimationFailure` when a demeaning does not converge.
    static func rectifier(outcome: [Double], regressors: [[Double]], fixedEffects: FixedEffects,
                          demeaningTolerance: Double, maxSweeps: Int) throws -> [Int] {
        let n = outcome.count
        let interior = outcome.map { $0 > 0 }
        let positive = interior.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positive < n, !regressors.isEmpty || !fixedEffects.dimensions.isEmpty else { return [] }
        let heavy = Double(positive) / (tolerance * tolerance)
        let weights = interior.map { $0 ? heavy : 1 }
        let absorbing = !fixedEffects.dimensions.isEmpty
        let weighting = absorbing ? fixedEffects.weights(weights) : nil

        func demeaned(_ columns: [[Double]]) throws -> [[Double]] {
            guard absorbing else { return columns }
            var block = columns
            let outcomes = fixedEffects.demean(inPlace: &block, weights: weighting, tolerance: demeaningTolerance, maxSweeps: maxSweeps)
            if let failed = outcomes.first(where: { !$0.converged }) {
                throw EstimationFailure(message: "the separation check's demeaning did not converge in \(failed.sweeps) sweeps; no fit is given")
            }
            return block
        }

        // The regressors' part of the fit is the same in every iteration: demean and factor once,
        // leaving out what is collinear (it adds nothing to the fitted values). Collinearity is
        // judged against each column's unweighted sum of squares: against the weighted one, a
        // column that differs from a fixed effect on a few zero-outcome rows only — the
        // separating kind — would look absorbed, its few rows outweighed by K.
        let regressorsDemeaned = try demeaned(regressors)
        let reference = regressors.map { column in column.reduce(0) { $0 + $1 * $1 } }
        let factor = Cholesky(Matrix.gram(regressorsDemeaned, weights: weights), reference: reference)
        let columns = factor.kept.map { regressorsDemeaned[$0] }
        var u = interior.map { $0 ? 0.0 : 1.0 }
        for _ in 0..<maxIterations {
            let residual = try demeaned([u])[0]
            var fitted = u
            if !columns.isEmpty {
                var rightHandSide = [Double](repeating: 0, count: regressors.count)
                for (position, column) in zip(factor.kept, columns) {
                    var sum = 0.0
                    for row in 0..<n { sum += column[row] * weights[row] * residual[row] }
                    rightHandSide[position] = sum
                }
                let solution = factor.solve(rightHandSide)
                for row in 0..<n {
                    var explained = 0.0
                    for (position, column) in zip(factor.kept, columns) { explained += column[row] * solution[position] }
                    fitted[row] = u[row] - (residual[row] - explained)
                }
            } else {
                for row in 0..<n { fitted[row] = u[row] - residual[row] }
            }
            for row in 0..<n where interior[row] || (fitted[row] > -0.1 * tolerance && fitted[row] < tolerance) { fitted[row] = 0 }
            if fitted.allSatisfy({ $0 >= 0 }) {
                return (0..<n).filter { fitted[$0] > 0 }
            }
            for row in 0..<n where !interior[row] { u[row] = max(fitted[row], 0) }
        }
        return []
    }
}
