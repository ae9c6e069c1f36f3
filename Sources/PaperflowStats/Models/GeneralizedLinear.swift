#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The family and link of a generalized linear model.
public enum GLMFamily: String, Sendable, CaseIterable {
    /// Poisson with the log link: PPML (Santos Silva & Tenreyro 2006) when the outcome is any
    /// non-negative number.
    case poisson
    /// Binomial with the logit link.
    case logit
    /// Binomial with the probit link.
    case probit

    public var isBinomial: Bool { self != .poisson }

    /// One observation's pieces at linear predictor η: the score u = ∂ℓ/∂η, the IRLS (expected
    /// information) weight w, the observed information −∂²ℓ/∂η², and the log-likelihood term.
    /// Every tail is computed without cancellation: 1 − p as the other tail, log Φ through the
    /// Mills ratio below −5, the logit weight from e^−|η|.
    @inline(__always)
    func pieces(_ y: Double, _ eta: Double) -> (score: Double, weight: Double, observed: Double, logLikelihood: Double) {
        switch self {
        case .poisson:
            let mu = exp(eta)
            let term = y > 0 ? y * eta - mu - lgamma(y + 1) : -mu
            return (y - mu, mu, mu, term)
        case .logit:
            let e = exp(-abs(eta))
            // p and 1 − p, each from the tail it is small in.
            let (p, q) = eta >= 0 ? (1 / (1 + e), e / (1 + e)) : (e / (1 + e), 1 / (1 + e))
            let weight = e / ((1 + e) * (1 + e))
            // ℓ = yη − log(1 + e^η), the log term as max(η, 0) + log(1 + e^−|η|).
            let logLikelihood = y * eta - max(eta, 0) - log1p(e)
            return (y > 0.5 ? q : -p, weight, weight, logLikelihood)
        case .probit:
            let logDensity = -0.5 * eta * eta - 0.5 * log(2 * Double.pi)
            let logUpper = Self.logNormalCDF(eta), logLower = Self.logNormalCDF(-eta)
            // u = φ/Φ(η) for y = 1 and −φ/Φ(−η) for y = 0 (the inverse Mills ratios);
            // w = φ² / (Φ(η)Φ(−η)); observed −∂²ℓ/∂η² = u(u + η).
            let score = y > 0.5 ? exp(logDensity - logUpper) : -exp(logDensity - logLower)
            let weight = exp(2 * logDensity - logUpper - logLower)
            return (score, weight, score * (score + eta), y > 0.5 ? logUpper : logLower)
        }
    }

    /// log Φ(x), accurate in the lower tail where Φ underflows (below −38.5) or loses digits:
    /// there log φ(x) + log R(−x), R the Mills ratio by its continued fraction.
    public static func logNormalCDF(_ x: Double) -> Double {
        if x > -5 { return log(0.5 * erfc(-x / 2.0.squareRoot())) }
        let t = -x
        // R(t) = 1/(t + 1/(t + 2/(t + 3/(t + …)))), evaluated from the 80th term back: at
        // t ≥ 5 the fraction has converged to machine precision well before.
        var fraction = t
        for k in stride(from: 80, through: 1, by: -1) { fraction = t + Double(k) / fraction }
        return -0.5 * t * t - 0.5 * log(2 * Double.pi) - log(fraction)
    }

    /// The score u and IRLS weight w at η, without the log-likelihood (an IRLS step needs no
    /// lgamma or log Φ of the tail it does not use).
    @inline(__always)
    func irls(_ y: Double, _ eta: Double) -> (score: Double, weight: Double) {
        switch self {
        case .poisson:
            let mu = exp(eta)
            return (y - mu, mu)
        case .logit:
            let e = exp(-abs(eta))
            let (p, q) = eta >= 0 ? (1 / (1 + e), e / (1 + e)) : (e / (1 + e), 1 / (1 + e))
            return (y > 0.5 ? q : -p, e / ((1 + e) * (1 + e)))
        case .probit:
            let pieces = pieces(y, eta)
            return (pieces.score, pieces.weight)
        }
    }

    /// The score, observed information −∂²ℓ/∂η² and log-likelihood at η — Newton's pieces, for
    /// which probit needs only the tail of the observed outcome (one erfc, not two).
    @inline(__always)
    func newton(_ y: Double, _ eta: Double) -> (score: Double, observed: Double, logLikelihood: Double) {
        guard self == .probit else {
            let pieces = pieces(y, eta)
            return (pieces.score, pieces.observed, pieces.logLikelihood)
        }
        let q = y > 0.5 ? 1.0 : -1.0
        let logDensity = -0.5 * eta * eta - 0.5 * log(2 * Double.pi)
        let logTail = Self.logNormalCDF(q * eta)
        let score = q * exp(logDensity - logTail)
        return (score, score * (score + eta), logTail)
    }

    /// The starting linear predictor (R glm's `mustart`): μ = (y + ȳ)/2 for Poisson, (y + ½)/2
    /// for the binomial links.
    func start(_ y: Double, mean: Double) -> Double {
        switch self {
        case .poisson: return log((y + mean) / 2)
        case .logit: return y > 0.5 ? log(3) : -log(3)
        case .probit: return y > 0.5 ? 0.6744897501960817 : -0.6744897501960817
        }
    }
}

/// A generalized linear model with any number of fixed effects absorbed: iteratively reweighted
/// least squares whose every step is a weighted regression on variables demeaned by the same
/// accelerated alternating projections as `LinearFixedEffectsFit` — the method of fixest's
/// `feglm`/`fepois` (Bergé 2018) and Stata's `ppmlhdfe` (Correia, Guimarães & Zylkin 2020). The
/// dummies are never formed, so 250,000 firm effects cost what one demeaned column costs.
///
/// Each step: with weights w and working response z = η + u/w at the current η, demean z and
/// the regressors with weights w, solve the weighted least squares for β, and set η to z minus
/// the step's residual; the fixed effects are η − Xβ. A step that raises the deviance (or makes
/// it non-finite) is halved until it does not. Converged when the relative change of the
/// deviance, |Δ| / (0.1 + |D|), falls below `tolerance` (fixest's rule; its default 1e-8,
/// ours 1e-10) and no coefficient moved by more than `coefficientTolerance`. Demeaning starts from the last step's result (only the change in the weights is
/// left to absorb), so later steps take a few sweeps.
///
/// Cross-checked in Tests against pyfixest 0.60 (`fepois`, `feglm`) and statsmodels 0.15 with
/// every dummy entered (`Tests/Fixtures/models/ref_glm.py`).
public struct GeneralizedLinearFit: Sendable {
    public let family: GLMFamily
    public let names: [String]
    public let coefficients: [Double]
    /// Observations used: all but those of separated levels.
    public let observations: Int
    /// The original observations used, in order.
    public let usedRows: [Int]
    /// Fixed-effect levels dropped because the outcome does not vary in them the way the model
    /// needs (all zero for Poisson; all 0 or all 1 for the binomial links).
    public let separated: [Separation]
    /// Observations with a zero outcome dropped because the regressors and fixed effects
    /// together separate them (Poisson; see `PoissonSeparation`).
    public let separatedByRegressors: Int
    /// Regressors dropped, each with the reason.
    public let dropped: [(name: String, reason: String)]
    public let logLikelihood: Double
    public let deviance: Double
    public let iterations: Int
    /// Rank of the absorbed dummy block (after the separated levels are gone).
    public let fixedEffectsRank: Int
    /// The absorbed fixed effects over the rows used.
    public let fixedEffects: FixedEffects
    /// η at the estimate, per used observation.
    public let linearPredictor: [Double]
    private let outcome: [Double]
    private let regressors: [[Double]]
    /// The prior weights over the rows used, when the fit is weighted.
    public let weights: ObservationWeights?

    public typealias Failure = EstimationFailure

    public struct IRLSOptions: Sendable {
        /// Convergence: the relative change of the deviance between steps …
        public var tolerance: Double = 1e-10
        /// … and the largest change of a coefficient (relative, for those above 1).
        public var coefficientTolerance: Double = 1e-10
        public var maxIterations: Int = 100
        /// Demeaning: a sweep changing no value by more than this (relative) ends it.
        public var demeaningTolerance: Double = 1e-13
        public var maxSweeps: Int = 10_000
        /// A regressor is collinear when what is left of it after absorbing the fixed effects and
        /// the regressors before it has a weighted sum of squares below this fraction of its own
        /// (fixest's `collin.tol`, 1e-10).
        public var collinearityTolerance: Double = 1e-10

        public init() {}
    }

    /// Fits `outcome` on `regressors` with `fixedEffects` absorbed.
    /// - Throws: `Failure` when IRLS or a demeaning does not converge, or no observation or
    ///   regressor is left: no estimate is presented then.
    /// `labels` name each fixed-effect dimension and its levels (by code) for the report of
    /// separated levels and dropped regressors.
    public init(_ family: GLMFamily, outcome: [Double], regressors: [(name: String, values: [Double])],
                fixedEffects: FixedEffects, labels: [(name: String, levels: [String])]? = nil, weights: ObservationWeights? = nil,
                options: IRLSOptions = IRLSOptions()) throws {
        self.family = family
        // Levels in which the outcome cannot be fitted: drop them until none is left (dropping
        // one can leave another all zero); then, for Poisson, observations the regressors and
        // fixed effects separate together (the iterative rectifier), and the levels again.
        var fixedEffects = fixedEffects, usedRows = Array(outcome.indices)
        var y = outcome, columns = regressors.map(\.values), priorWeights = weights
        var separated: [Separation] = []
        var separatedByRegressors = 0
        var labels = labels ?? fixedEffects.levels.enumerated().map { ("fixed effect \($0 + 1)", (0..<$1).map(String.init)) }
        func restrict(to keep: [Int]) {
            for (dimension, codes) in fixedEffects.dimensions.enumerated() {
                var present = [Bool](repeating: false, count: fixedEffects.levels[dimension])
                for row in keep { present[codes[row]] = true }
                labels[dimension].levels = labels[dimension].levels.indices.filter { present[$0] }.map { labels[dimension].levels[$0] }
            }
            fixedEffects = fixedEffects.subset(keep)
            y = keep.map { y[$0] }
            columns = columns.map { column in keep.map { column[$0] } }
            usedRows = keep.map { usedRows[$0] }
            priorWeights = priorWeights?.subset(keep)
        }
        while true {
            while !fixedEffects.dimensions.isEmpty {
                var drop = [Bool](repeating: false, count: y.count)
                var found: [Separation] = []
                for (dimension, codes) in fixedEffects.dimensions.enumerated() {
                    let levels = fixedEffects.levels[dimension]
                    var count = [Int](repeating: 0, count: levels), sum = [Double](repeating: 0, count: levels)
                    var ones = [Int](repeating: 0, count: levels)
                    for (row, code) in codes.enumerated() {
                        count[code] += 1
                        sum[code] += y[row]
                        if y[row] == 1 { ones[code] += 1 }
                    }
                    for level in 0..<levels where count[level] > 0 {
                        let allZero = sum[level] == 0, allOne = family.isBinomial && ones[level] == count[level]
                        guard allZero || allOne else { continue }
                        found.append(Separation(factor: labels[dimension].name, level: labels[dimension].levels[level], outcome: allZero ? 0 : 1, observations: count[level]))
                        for (row, code) in codes.enumerated() where code == level { drop[row] = true }
                    }
                }
                if found.isEmpty { break }
                separated += found
                let keep = y.indices.filter { !drop[$0] }
                guard !keep.isEmpty else { throw Failure(message: "every observation is in a fixed-effect level whose outcome is \(family == .poisson ? "all zero" : "constant"); no fit is given") }
                restrict(to: keep)
            }
            guard family == .poisson else { break }
            let rows = try PoissonSeparation.rectifier(outcome: y, regressors: columns, fixedEffects: fixedEffects,
                                                       demeaningTolerance: options.demeaningTolerance, maxSweeps: options.maxSweeps)
            if rows.isEmpty { break }
            guard rows.count < y.count else { throw Failure(message: "the regressors separate every observation (the outcome is zero throughout); no fit is given") }
            separatedByRegressors += rows.count
            var drop = [Bool](repeating: false, count: y.count)
            for row in rows { drop[row] = true }
            restrict(to: y.indices.filter { !drop[$0] })
        }
        self.separatedByRegressors = separatedByRegressors
        self.separated = separated
        self.usedRows = usedRows
        self.fixedEffects = fixedEffects
        observations = y.count
        self.outcome = y

        let n = y.count
        self.weights = priorWeights
        let prior = priorWeights?.values ?? [Double](repeating: 1, count: n)
        let mean = zip(y, prior).reduce(0) { $0 + $1.0 * $1.1 } / prior.reduce(0, +)
        var eta = y.map { family.start($0, mean: mean) }
        var deviance = Self.deviance(family, y, eta, prior)
        var kept = Array(columns.indices)
        var dropped: [(name: String, reason: String)] = []
        var demeaned = columns
        var beta = [Double](repeating: 0, count: columns.count)
        var fixedPart = [Double](repeating: 0, count: n)
        var iteration = 0
        var converged = false
        // Early steps, far from the estimate, need no 1e-13 demeaning: the tolerance starts at
        // 1e-6 and follows the deviance's change down to the requested one (ppmlhdfe tightens
        // it the same way); convergence is only accepted from a step demeaned at full tolerance.
        var demeaningTolerance = max(options.demeaningTolerance, 1e-6)
        while iteration < options.maxIterations {
            iteration += 1
            // The working outcome z = η + u/w less the last step's fixed effects (z − fe = Xβ +
            // u/w: the part left to demean).
            var weights = [Double](repeating: 0, count: n), working = [Double](repeating: 0, count: n)
            for row in 0..<n {
                let pieces = family.irls(y[row], eta[row])
                weights[row] = prior[row] * pieces.weight
                working[row] = eta[row] - fixedPart[row] + pieces.score / pieces.weight
            }
            let weighting = fixedEffects.weights(weights)
            // Demean from the last step's results, in place: each differs from its demeaned form
            // by a member of the dummies' span, which the projection removes whatever the weights.
            var block = demeaned
            demeaned = []
            block.append(working)
            let outcomes = fixedEffects.demean(inPlace: &block, weights: weighting, tolerance: demeaningTolerance, maxSweeps: options.maxSweeps)
            if let failed = outcomes.firstIndex(where: { !$0.converged }) {
                let name = failed < block.count - 1 ? regressors[kept[failed]].name : "the working outcome"
                throw Failure(message: "demeaning \(name) did not converge in \(outcomes[failed].sweeps) sweeps (tolerance \(demeaningTolerance)); the fit is not given. "
                              + "A weakly connected panel converges slowly: raise max_sweeps or loosen demeaning_tolerance")
            }
            let fullTolerance = demeaningTolerance <= options.demeaningTolerance
            let workingDemeaned = block.removeLast()
            demeaned = block
            block = []
            if iteration == 1 {
                // Collinearity, judged once, at the starting weights: against each column's own
                // weighted sum of squares before absorption.
                let reference = kept.map { column in zip(columns[column], weights).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } }
                let factor = Cholesky(Matrix.gram(demeaned, weights: weights), tolerance: options.collinearityTolerance, reference: reference)
                for position in factor.dropped {
                    let column = kept[position]
                    dropped.append((regressors[column].name, Self.reason(columns[column], demeaned[position], weights, reference[position],
                                                                         fixedEffects, labels.map(\.name), options.collinearityTolerance)))
                }
                kept = factor.kept.map { kept[$0] }
                demeaned = factor.kept.map { demeaned[$0] }
                beta = [Double](repeating: 0, count: kept.count)
                guard !kept.isEmpty || !fixedEffects.dimensions.isEmpty else {
                    throw Failure(message: "every regressor is collinear; no fit is given")
                }
            }
            let factor = Cholesky(Matrix.gram(demeaned, weights: weights), tolerance: 0)
            guard factor.dropped.isEmpty else {
                throw Failure(message: "the weighted regressors became collinear at step \(iteration) (\(factor.dropped.map { regressors[kept[$0]].name }.joined(separator: ", "))); no fit is given")
            }
            let rightHandSide = demeaned.map { column in
                var sum = 0.0
                for row in 0..<n { sum += column[row] * weights[row] * workingDemeaned[row] }
                return sum
            }
            let candidate = factor.solve(rightHandSide)
            // η = z − (z̃ − X̃β): the fitted part of the working outcome, fixed effects included
            // (z = working + the last step's fixed effects).
            var next = working
            for row in 0..<n {
                var residual = workingDemeaned[row]
                for (column, coefficient) in zip(demeaned, candidate) { residual -= column[row] * coefficient }
                next[row] += fixedPart[row] - residual
            }
            var nextBeta = candidate
            var nextDeviance = Self.deviance(family, y, next, prior)
            var halvings = 0
            while !nextDeviance.isFinite || (iteration > 1 && nextDeviance > deviance * (1 + 1e-12)) {
                halvings += 1
                guard halvings <= 30 else {
                    throw Failure(message: "step \(iteration) could not lower the deviance after 30 halvings; no fit is given")
                }
                for row in 0..<n { next[row] = 0.5 * (next[row] + eta[row]) }
                for index in nextBeta.indices { nextBeta[index] = 0.5 * (nextBeta[index] + beta[index]) }
                nextDeviance = Self.deviance(family, y, next, prior)
            }
            let change = abs(nextDeviance - deviance) / (0.1 + abs(nextDeviance))
            // Fisher scoring (probit) converges linearly: a small change of the deviance can
            // leave the coefficients 1e-7 off, so their step must be small too.
            let largestStep = zip(nextBeta, beta).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
            eta = next
            beta = nextBeta
            deviance = nextDeviance
            for row in 0..<n {
                var linear = 0.0
                for (position, column) in kept.enumerated() { linear += columns[column][row] * beta[position] }
                fixedPart[row] = eta[row] - linear
            }
            if change < options.tolerance, largestStep < options.coefficientTolerance, halvings == 0 {
                if fullTolerance {
                    converged = true
                    break
                }
                demeaningTolerance = options.demeaningTolerance
            } else {
                demeaningTolerance = max(options.demeaningTolerance, min(demeaningTolerance, 1e-3 * change))
            }
        }
        guard converged else {
            throw Failure(message: "IRLS did not converge in \(options.maxIterations) steps (tolerance \(options.tolerance)); no fit is given")
        }
        self.names = kept.map { regressors[$0].name }
        self.dropped = dropped
        coefficients = beta
        iterations = iteration
        self.deviance = deviance
        linearPredictor = eta
        logLikelihood = (0..<n).reduce(0) { $0 + prior[$1] * family.pieces(y[$1], eta[$1]).logLikelihood }
        fixedEffectsRank = fixedEffects.dimensions.isEmpty ? 0 : fixedEffects.rank
        self.regressors = kept.map { columns[$0] }
    }

    /// Why a dropped regressor was dropped: absorbed by one fixed effect (constant within its
    /// levels), by the fixed effects together, or a combination of the regressors before it.
    private static func reason(_ raw: [Double], _ demeaned: [Double], _ weights: [Double], _ reference: Double,
                               _ fixedEffects: FixedEffects, _ names: [String], _ tolerance: Double) -> String {
        if let dimension = fixedEffects.dimension(holdingConstant: raw) { return "constant within \(names[dimension])" }
        let left = zip(demeaned, weights).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        if left <= tolerance * reference { return "absorbed by the fixed effects together" }
        return "collinear with the regressors before it"
    }

    /// Σ (deviance residual)², each weighted: 2 Σ w [ℓ(saturated) − ℓ(η)].
    static func deviance(_ family: GLMFamily, _ y: [Double], _ eta: [Double], _ prior: [Double]) -> Double {
        var total = 0.0
        for row in y.indices {
            switch family {
            case .poisson:
                let mu = exp(eta[row])
                total += 2 * prior[row] * ((y[row] > 0 ? y[row] * (log(y[row]) - eta[row]) : 0) - (y[row] - mu))
            case .logit, .probit:
                total -= 2 * prior[row] * family.pieces(y[row], eta[row]).logLikelihood
            }
        }
        return total
    }

    // MARK: Covariance

    /// Which information matrix the covariance inverts.
    public enum Information: String, Sendable, CaseIterable {
        /// The expected (Fisher) information: fixest, R glm.
        case expected
        /// The observed information (negative Hessian): statsmodels, Stata. The same as the
        /// expected one for Poisson and logit (canonical links).
        case observed
    }

    /// The bread (X̃'WX̃)⁻¹, the regressors demeaned with the same weights W, and the scores
    /// x̃ᵢ·uᵢ: by the partitioned inverse, the regressors' block of the full model's inverse
    /// information and sandwich, with every dummy, equals these (so statsmodels with dummies and
    /// fixest agree on the sandwich up to the scale factor).
    private func pieces(_ information: Information, options: IRLSOptions = IRLSOptions()) throws -> (bread: Matrix, demeaned: [[Double]], scores: [Double]) {
        var weights = [Double](repeating: 0, count: observations), scores = weights
        for row in 0..<observations {
            let pieces = family.pieces(outcome[row], linearPredictor[row])
            weights[row] = (self.weights?.values[row] ?? 1) * (information == .expected ? pieces.weight : pieces.observed)
            scores[row] = pieces.score
        }
        let demeaned = fixedEffects.demean(columns: regressors, weights: fixedEffects.weights(weights),
                                           tolerance: options.demeaningTolerance, maxSweeps: options.maxSweeps)
        guard demeaned.allSatisfy(\.converged) else { throw Failure(message: "demeaning the regressors for the covariance did not converge") }
        let columns = demeaned.map(\.values)
        let factor = Cholesky(Matrix.gram(columns, weights: weights), tolerance: 0)
        guard factor.dropped.isEmpty else { throw Failure(message: "the information matrix is singular at the estimate; no covariance is given") }
        return (factor.inverse(), columns, scores)
    }

    /// The inverse information.
    public func classicalCovariance(_ information: Information = .expected) throws -> Matrix {
        try pieces(information).bread
    }

    /// The sandwich V·M·V with M = Σ over `clusters` (a code per used observation) of the summed
    /// scores' outer products; each observation its own cluster when `clusters` is nil. Not
    /// scaled: the caller applies its convention's factor.
    public func sandwich(_ clusters: Clusters?, information: Information = .expected) throws -> Matrix {
        var (bread, columns, scores) = try pieces(information)
        if let weights {
            for row in scores.indices { scores[row] *= weights.scoreFactor(row, singletonClusters: clusters == nil) }
        }
        let meat = (clusters ?? Clusters(singletons: observations)).meat(columns: columns, weights: scores)
        return bread * meat * bread
    }

    /// The small-sample conventions of the reference tools, which agree on the estimates and
    /// differ in the covariance's information matrix and scale.
    public enum GLMConvention: String, Sendable, CaseIterable {
        /// fixest and pyfixest (`fepois`, `feglm`): expected information; classical ×
        /// (N−1)/(N−K), hetero × N/(N−K), clustered × G/(G−1)·(N−1)/(N−K), K the regressors plus
        /// Σ levels − (dimensions − 1), leaving out for clustered errors the dimensions nested in
        /// a clustering (then 1 + Σ (levels − 1) over the others); two-way with the smaller G.
        case fixest
        /// statsmodels with every dummy entered (GLM, Logit, Probit): observed information;
        /// classical and HC0 unscaled, clustered × G/(G−1)·(N−1)/(N−K), K every parameter (the
        /// regressors and the rank of the dummies with the intercept); each two-way term its own G.
        case statsmodels
        /// Stata's maximum-likelihood commands with the dummies entered (`probit`, `logit`,
        /// `poisson … i.fe`): observed information; `vce(robust)` × N/(N−1), `vce(cluster)` ×
        /// G/(G−1).
        case stata
        /// R `glm` with `sandwich`: expected information; `vcovHC(type = "HC1")` × N/(N−K), K every
        /// parameter; `vcovCL` × G/(G−1).
        case sandwich
    }

    /// What a covariance is formed from.
    public enum GLMCovarianceKind: Sendable {
        case classical
        /// Heteroskedasticity-robust: each observation its own cluster.
        case robust
        /// One-way or two-way clustered, a code per original observation for each clustering.
        case clustered([[Int]])
    }

    /// The covariance of `kind` under `convention`; a two-way clustered matrix that is not
    /// positive semi-definite has its negative eigenvalues set to zero (Cameron, Gelbach & Miller
    /// 2011, as fixest's `vcov_fix`), and `adjusted` says so.
    public func covariance(_ kind: GLMCovarianceKind, convention: GLMConvention) throws -> (matrix: Matrix, adjusted: Bool) {
        let information: Information = convention == .fixest || convention == .sandwich ? .expected : .observed
        let n = weights?.count ?? Double(observations), k = Double(names.count)
        let dims = fixedEffects.dimensions.count
        let fixestK = k + Double(dims == 0 ? 0 : fixedEffects.levels.reduce(0, +) - (dims - 1))
        let statsmodelsK = k + Double(fixedEffectsRank)
        switch kind {
        case .classical:
            let bread = try classicalCovariance(information)
            return (convention == .fixest ? (n - 1) / (n - fixestK) * bread : bread, false)
        case .robust:
            let scale: Double
            switch convention {
            case .fixest: scale = n / (n - fixestK)
            case .statsmodels: scale = 1
            case .stata: scale = n / (n - 1)
            case .sandwich: scale = n / (n - statsmodelsK)
            }
            return (scale * (try sandwich(nil, information: information)), false)
        case let .clustered(codes):
            let clusterings = codes.map { codes in Clusters(usedRows.map { codes[$0] }) }
            // fixest leaves out of K the fixed effects nested in a clustering.
            let nested = fixedEffects.dimensions.indices.filter { dimension in
                clusterings.contains { fixedEffects.isNested(dimension, in: $0.codes.map(Int.init)) }
            }
            let kNested = nested.isEmpty ? fixestK
                : k + 1 + Double(fixedEffects.levels.indices.filter { !nested.contains($0) }.reduce(0) { $0 + fixedEffects.levels[$1] - 1 })
            func scale(_ g: Int) -> Double {
                let g = Double(g)
                switch convention {
                case .fixest: return g / (g - 1) * (n - 1) / (n - kNested)
                case .statsmodels: return g / (g - 1) * (n - 1) / (n - statsmodelsK)
                case .stata, .sandwich: return g / (g - 1)
                }
            }
            if clusterings.count == 1 {
                return (scale(clusterings[0].count) * (try sandwich(clusterings[0], information: information)), false)
            }
            let (a, b) = (clusterings[0], clusterings[1])
            let both = Clusters(intersecting: a, b)
            let smallest = min(a.count, b.count)
            var total = Matrix(rows: names.count, columns: names.count)
            for (groups, sign) in [(a, 1.0), (b, 1.0), (both, -1.0)] {
                let term = scale(convention == .fixest ? smallest : groups.count) * (try sandwich(groups, information: information))
                for index in total.values.indices { total.values[index] += sign * term.values[index] }
            }
            return SymmetricEigen.positiveSemidefinite(total)
        }
    }
}
