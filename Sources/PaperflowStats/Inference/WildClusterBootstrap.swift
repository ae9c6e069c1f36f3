/// The wild cluster bootstrap of a linear fit's coefficient (Cameron, Gelbach & Miller 2008), for
/// inference with few clusters: the bootstrap-t p-value of H0: b_j = r and the confidence set of
/// the values not rejected. As boottest (Roodman, MacKinnon, Nielsen & Webb 2019),
/// fwildclusterboot and wildboottest do it ("11" variant, the CRVE of each draw):
///
/// - WCR (`imposeNull`): the bootstrap data are the restricted fit (b_j = r) plus its residuals
///   times a weight per cluster; t* = (b*_j − r)/se*. WCU: the unrestricted fit and residuals,
///   t* = (b*_j − b̂_j)/se*. The p-value is the share of draws with |t*| > |t| (wildboottest's
///   two-tailed rule).
/// - Weights: Rademacher (±1) or Webb's six-point (±√(1/2), ±1, ±√(3/2)), from a seeded
///   generator; with Rademacher and 2^G < B every sign vector is enumerated once instead (as
///   boottest and wildboottest do), so the result is exact and the seed plays no part.
/// - Each draw costs O(G²), not O(N): with A = (X'X)⁻¹, a its row j, s_g = X_g'ũ_g and H_g =
///   X_g'X_g, b*_j − r = Σ_h v_h a's_h and the draw's cluster score for b_j is v_g a's_g −
///   Σ_h v_h (H_g a)'(A s_h) (Roodman et al.'s "fast and wild").
/// - The confidence set inverts the test with the same draws: for WCR the bounds where the
///   p-value crosses the level, found by bisection; for WCU the symmetric percentile-t interval
///   b̂_j ± q·se, q the (1 − level) quantile of |t*|.
///
/// With fixed effects the columns are the demeaned ones (the effects partialled out, as
/// fwildclusterboot does with `fe`); the CRVE's small-sample factor G/(G−1)·(N−1)/(N−K) cancels
/// in every t ratio, so the p-value does not depend on it.
public struct WildClusterBootstrap: Sendable, Equatable {
    public enum Weights: String, Sendable, CaseIterable {
        case rademacher
        case webb
    }

    public var coefficient: String
    public var imposeNull: Bool
    public var weights: Weights
    /// The draws made (2^G when enumerated).
    public var draws: Int
    public var enumerated: Bool
    public var clusters: Int
    /// The value tested (r in H0: b_j = r).
    public var null: Double
    /// |t| of the fit's coefficient against `null`, with the CRVE.
    public var statistic: Double
    public var pValue: Double
    public var level: Double
    public var confidenceInterval: (low: Double, high: Double)?

    public static func == (a: Self, b: Self) -> Bool {
        a.coefficient == b.coefficient && a.imposeNull == b.imposeNull && a.weights == b.weights && a.draws == b.draws
            && a.statistic == b.statistic && a.pValue == b.pValue && a.confidenceInterval?.low == b.confidenceInterval?.low
            && a.confidenceInterval?.high == b.confidenceInterval?.high
    }
}

/// Why a bootstrap cannot be run, in words for the stage's message.
public struct WildClusterBootstrapError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension LinearFixedEffectsFit {
    /// The wild cluster bootstrap of coefficient `name` against H0: b = `null`, clusters a code
    /// per observation, `draws` B, a confidence interval at `level` (0.95) unless nil.
    public func wildClusterBootstrap(_ name: String, null: Double = 0, clusters codes: [Int], draws: Int, weights kind: WildClusterBootstrap.Weights,
                                     imposeNull: Bool = true, seed: UInt64, level: Double? = 0.95) throws(WildClusterBootstrapError) -> WildClusterBootstrap {
        guard instrumental == nil else { throw WildClusterBootstrapError(message: "the wild bootstrap of an IV fit (the WRE bootstrap) is not computed") }
        guard self.weights == nil else { throw WildClusterBootstrapError(message: "the wild bootstrap of a weighted fit is not computed") }
        guard let j = names.firstIndex(of: name) else {
            throw WildClusterBootstrapError(message: "the bootstrap's coefficient '\(name)' is not in the fit (coefficients: \(names.joined(separator: ", ")))")
        }
        guard draws >= 99 else { throw WildClusterBootstrapError(message: "a bootstrap needs at least 99 draws (9999 is usual); \(draws) were asked for") }
        let groups = Clusters(codes)
        let g = groups.count
        guard g >= 2 else { throw WildClusterBootstrapError(message: "the bootstrap needs at least two clusters") }
        guard Double(g) * Double(g) * Double(min(draws, 1 << min(g, 62))) <= 5e10 else {
            throw WildClusterBootstrapError(message: "\(g) clusters × \(draws) draws is too much work for the bootstrap (O(B·G²)); with this many clusters the clustered SEs need no bootstrap")
        }
        let v = Self.draws(kind, clusters: g, count: draws, seed: seed)
        let problem = BootstrapProblem(fit: self, coefficient: j, clusters: groups)
        let observed = coefficients[j]
        let se = problem.standardError(of: residuals)
        let t = (observed - null) / se
        // WCR's residuals at r are ũ₀ − r·m, so their parts are too; WCU's are the fit's.
        let restricted = imposeNull ? (outcome: try problem.parts(problem.restrictedOutcome), column: try problem.parts(problem.restrictedColumn)) : nil
        let parts: BootstrapProblem.Parts
        if let restricted { parts = restricted.outcome - null * restricted.column } else { parts = try problem.parts(residuals) }
        let tStar = problem.statistics(draws: v.weights, parts: parts)
        let p = Self.share(of: tStar, above: abs(t))
        var interval: (low: Double, high: Double)?
        if let level {
            if let restricted {
                func pValue(_ r: Double) -> Double {
                    let tr = (observed - r) / se
                    return Self.share(of: problem.statistics(draws: v.weights, parts: restricted.outcome - r * restricted.column), above: abs(tr))
                }
                interval = (Self.bound(from: observed, step: -se, level: 1 - level, pValue), Self.bound(from: observed, step: se, level: 1 - level, pValue))
            } else {
                let sorted = tStar.map(abs).sorted()
                let q = sorted[min(sorted.count - 1, Int((Double(sorted.count) * level).rounded(.up)) - 1)]
                interval = (observed - q * se, observed + q * se)
            }
        }
        return WildClusterBootstrap(coefficient: name, imposeNull: imposeNull, weights: kind, draws: v.weights.count, enumerated: v.enumerated,
                                    clusters: g, null: null, statistic: abs(t), pValue: p, level: level ?? 0, confidenceInterval: interval)
    }

    /// The share of `values` whose absolute value exceeds `threshold` (ties, to rounding, do not).
    static func share(of values: [Double], above threshold: Double) -> Double {
        let guardBand = threshold * (1 + 1e-10)
        return Double(values.count { abs($0) > guardBand }) / Double(values.count)
    }

    /// The edge of the confidence set on the side of `step`: where the p-value falls to `alpha`,
    /// bracketed by doubling steps from the estimate, then bisected to 1e-10 of the step.
    static func bound(from estimate: Double, step: Double, level alpha: Double, _ pValue: (Double) -> Double) -> Double {
        var inside = estimate, outside = estimate + step
        var doublings = 0
        while pValue(outside) > alpha {
            inside = outside
            outside = estimate + step * Double(2 << doublings)
            doublings += 1
            if doublings > 40 { return step < 0 ? -.infinity : .infinity }
        }
        while abs(outside - inside) > 1e-10 * abs(step) {
            let middle = (inside + outside) / 2
            if pValue(middle) > alpha { inside = middle } else { outside = middle }
        }
        return (inside + outside) / 2
    }

    /// A weight per cluster for each draw: every sign vector for Rademacher when 2^G < B.
    static func draws(_ kind: WildClusterBootstrap.Weights, clusters g: Int, count: Int, seed: UInt64) -> (weights: [[Double]], enumerated: Bool) {
        if kind == .rademacher, g < 62, 1 << g < count {
            return ((0..<(1 << g)).map { bits in (0..<g).map { bits >> ($0) & 1 == 1 ? 1 : -1 } }, true)
        }
        var generator = SeededGenerator(seed: seed)
        let webb = [-(1.5).squareRoot(), -1, -(0.5).squareRoot(), (0.5).squareRoot(), 1, (1.5).squareRoot()]
        return ((0..<count).map { _ in
            (0..<g).map { _ in kind == .rademacher ? (generator.next() >> 63 == 1 ? 1 : -1) : webb[Int(generator.unit() * 6)] }
        }, false)
    }
}

/// What every draw of one coefficient's bootstrap shares: the bread's row, each cluster's X_g'X_g
/// times it, and the demeaned outcome and columns for the restricted fits.
struct BootstrapProblem {
    let columns: [[Double]]
    let coefficient: Int
    let row: [Double]
    let bread: Matrix
    let codes: [Int32]
    let count: Int
    let fixedEffects: FixedEffects
    /// Whether every fixed effect is nested in the clusters (then the absorbed effects take
    /// nothing from one cluster's bootstrap errors into another's).
    let nested: Bool
    /// (X_g'X_g) a for each cluster g, K each.
    let projected: [[Double]]
    /// Each observation's weight in the coefficient, (A X')_j i = x_i · a.
    let influence: [Double]
    /// The restricted residuals are ũ(r) = ũ₀ − r·m: y and x_j each net of the other columns.
    let restrictedOutcome: [Double]
    let restrictedColumn: [Double]

    init(fit: LinearFixedEffectsFit, coefficient j: Int, clusters: Clusters) {
        columns = fit.demeaned
        let k = columns.count
        var y = fit.residuals
        for (column, b) in zip(columns, fit.coefficients) { for i in y.indices { y[i] += column[i] * b } }
        coefficient = j
        bread = fit.bread
        row = (0..<k).map { fit.bread[j, $0] }
        codes = clusters.codes
        count = clusters.count
        fixedEffects = fit.fixedEffects
        let clusterCodes = clusters.codes.map(Int.init)
        nested = fit.fixedEffects.dimensions.indices.allSatisfy { fit.fixedEffects.isNested($0, in: clusterCodes) }
        var influence = [Double](repeating: 0, count: y.count)
        var projected = [[Double]](repeating: [Double](repeating: 0, count: k), count: clusters.count)
        for i in y.indices {
            var xa = 0.0
            for c in 0..<k { xa += columns[c][i] * row[c] }
            influence[i] = xa
            // (X_g'X_g a)_c = Σ_i x_ic (x_i · a)
            for c in 0..<k { projected[Int(clusters.codes[i])][c] += columns[c][i] * xa }
        }
        self.influence = influence
        self.projected = projected
        let others = fit.demeaned.indices.filter { $0 != j }.map { fit.demeaned[$0] }
        restrictedOutcome = Matrix.residual(of: y, on: others)
        restrictedColumn = Matrix.residual(of: fit.demeaned[j], on: others)
    }

    /// The CRVE standard error of the coefficient with `residuals`, without small-sample factor.
    func standardError(of residuals: [Double]) -> Double {
        var scores = [Double](repeating: 0, count: count)
        for i in residuals.indices { scores[Int(codes[i])] += influence[i] * residuals[i] }
        return scores.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// What a draw needs of the bootstrap errors' residuals ũ, all linear in ũ: c_h = a'X_h'ũ_h,
    /// q_h = A X_h'ũ_h, and E_gh = Σ_{i∈g} (x_i·a)·[M_D ũ⁽ʰ⁾]_i, ũ⁽ʰ⁾ being ũ on cluster h and
    /// zero elsewhere — what the absorbed effects leave of cluster h's bootstrap errors in
    /// cluster g (the identity on c when the effects are nested in the clusters).
    struct Parts {
        var c: [Double]
        var q: [[Double]]
        var e: [Double]

        static func - (a: Parts, b: Parts) -> Parts {
            Parts(c: zip(a.c, b.c).map(-), q: zip(a.q, b.q).map { zip($0, $1).map(-) }, e: zip(a.e, b.e).map(-))
        }

        static func * (r: Double, a: Parts) -> Parts {
            Parts(c: a.c.map { r * $0 }, q: a.q.map { $0.map { r * $0 } }, e: a.e.map { r * $0 })
        }
    }

    func parts(_ residuals: [Double]) throws(WildClusterBootstrapError) -> Parts {
        let k = columns.count, g = count
        var s = [[Double]](repeating: [Double](repeating: 0, count: k), count: g)
        for i in residuals.indices {
            let h = Int(codes[i])
            for c in 0..<k { s[h][c] += columns[c][i] * residuals[i] }
        }
        let c = s.map { zip($0, row).reduce(0) { $0 + $1.0 * $1.1 } }
        let q = s.map { sh in (0..<k).map { a in (0..<k).reduce(0) { $0 + bread[a, $1] * sh[$1] } } }
        var e = [Double](repeating: 0, count: g * g)
        if nested || fixedEffects.dimensions.isEmpty {
            for h in 0..<g { e[h * g + h] = c[h] }
        } else {
            // G demeanings, a batch of columns at a time.
            for first in stride(from: 0, to: g, by: 8) {
                let batch = Array(first..<min(first + 8, g))
                let pieces = batch.map { h in residuals.indices.map { codes[$0] == h ? residuals[$0] : 0 } }
                let demeaned = fixedEffects.demean(columns: pieces)
                guard demeaned.allSatisfy(\.converged) else {
                    throw WildClusterBootstrapError(message: "absorbing the fixed effects from a cluster's bootstrap errors did not converge; the bootstrap is not given")
                }
                for (h, piece) in zip(batch, demeaned) {
                    for i in residuals.indices { e[Int(codes[i]) * g + h] += influence[i] * piece.values[i] }
                }
            }
        }
        return Parts(c: c, q: q, e: e)
    }

    /// t* of each draw with the bootstrap errors whose `parts` are given (the numerator
    /// b*_j − b_j(DGP) = Σ_h v_h c_h, the denominator the draw's CRVE, unscaled: the score of
    /// cluster g is Σ_h (E_gh − D_gh) v_h, D_gh = (H_g a)'(A s_h)).
    func statistics(draws: [[Double]], parts: Parts) -> [Double] {
        let g = count
        var m = parts.e
        for a in 0..<g { for b in 0..<g { m[a * g + b] -= zip(projected[a], parts.q[b]).reduce(0) { $0 + $1.0 * $1.1 } } }
        return draws.map { v in
            var numerator = 0.0
            for h in 0..<g { numerator += v[h] * parts.c[h] }
            var variance = 0.0
            m.withUnsafeBufferPointer { m in
                for a in 0..<g {
                    var score = 0.0
                    for b in 0..<g { score += m[a * g + b] * v[b] }
                    variance += score * score
                }
            }
            return numerator / variance.squareRoot()
        }
    }
}
