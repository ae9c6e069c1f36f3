#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The link of a binary-choice model.
public enum BinaryFamily: String, Sendable, CaseIterable {
    case probit
    case logit
}

/// A design for a binary-choice model: dense regressors (an intercept is a column of ones) and
/// categorical factors entered as dummies, level 0 of each the dropped base. Dummies are never
/// materialised: the cross products use their codes, so X'WX costs O(N·k²) in the k dense
/// columns plus O(N) per factor, not O(N·K²).
public struct BinaryDesign: Sendable {
    public let denseNames: [String]
    public let factorNames: [String]
    public let factorLevels: [[String]]
    public let observations: Int
    /// The dense columns, row by row: observation i's values at `i * denseCount`.
    let rows: [Double]
    /// The factors' codes, row by row: observation i's codes at `i * factorCount`.
    let codes: [Int]

    public init(dense: [(name: String, values: [Double])], factors: [(name: String, codes: [Int], levels: [String])]) {
        denseNames = dense.map(\.name)
        factorNames = factors.map(\.name)
        factorLevels = factors.map(\.levels)
        let n = dense.first?.values.count ?? factors.first?.codes.count ?? 0
        observations = n
        var rows = Array(repeating: 0.0, count: n * dense.count)
        for (column, regressor) in dense.enumerated() {
            for row in 0..<n { rows[row * dense.count + column] = regressor.values[row] }
        }
        var codes = Array(repeating: 0, count: n * factors.count)
        for (number, factor) in factors.enumerated() {
            for row in 0..<n { codes[row * factors.count + number] = factor.codes[row] }
        }
        self.rows = rows
        self.codes = codes
    }

    /// The design restricted to `rows`; factor levels left without rows are removed (the
    /// smallest remaining level becomes the base where the base went).
    func subset(_ rows: [Int]) -> BinaryDesign {
        let dense = denseNames.indices.map { column in
            (name: denseNames[column], values: rows.map { self.rows[$0 * denseCount + column] })
        }
        let factors = factorNames.indices.map { number -> (name: String, codes: [Int], levels: [String]) in
            let old = rows.map { codes[$0 * factorCount + number] }
            let present = Set(old).sorted()
            let recode = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
            return (factorNames[number], old.map { recode[$0]! }, present.map { factorLevels[number][$0] })
        }
        return BinaryDesign(dense: dense, factors: factors)
    }

    /// The design without the dense columns `removed`.
    func removingDense(_ removed: [Int]) -> BinaryDesign {
        let kept = denseNames.indices.filter { !removed.contains($0) }
        let dense = kept.map { column in (name: denseNames[column], values: (0..<observations).map { rows[$0 * denseCount + column] }) }
        let factors = factorNames.indices.map { number in
            (name: factorNames[number], codes: (0..<observations).map { codes[$0 * factorCount + number] }, levels: factorLevels[number])
        }
        return BinaryDesign(dense: dense, factors: factors)
    }

    var denseCount: Int { denseNames.count }

    /// Factor `factor`'s level code at observation `row`.
    public func factorCode(_ row: Int, _ factor: Int) -> Int { codes[row * factorCount + factor] }
    var factorCount: Int { factorNames.count }

    /// Parameter names: the dense columns, then `factor_level` for each non-base level.
    public var names: [String] {
        denseNames + zip(factorNames, factorLevels).flatMap { name, levels in levels.dropFirst().map { "\(name)_\($0)" } }
    }

    /// Index of each factor's level 1 among the parameters, less one (so that level c sits at
    /// `offset + c`).
    var factorOffsets: [Int] {
        var offsets: [Int] = []
        var next = denseCount
        for levels in factorLevels {
            offsets.append(next - 1)
            next += levels.count - 1
        }
        return offsets
    }

    /// Calls `body` with the parameter index of every non-base level observation `row` has.
    @inline(__always)
    func forEachDummy(_ row: Int, _ codes: UnsafeBufferPointer<Int>, _ offsets: [Int], _ body: (Int) -> Void) {
        for number in 0..<factorCount {
            let code = codes[row * factorCount + number]
            if code > 0 { body(offsets[number] + code) }
        }
    }
}

/// A factor level whose observations all have the same outcome: its coefficient would run off to
/// ±∞ and the fit never converge, so (as fixest does) its observations and dummy are dropped
/// and reported. pyfixest drops only all-0 levels; statsmodels and R glm do not check.
public struct Separation: Sendable, Equatable, CustomStringConvertible {
    public var factor: String
    public var level: String
    /// The outcome every observation of the level has (0 or 1).
    public var outcome: Double
    public var observations: Int

    public init(factor: String, level: String, outcome: Double, observations: Int) {
        self.factor = factor
        self.level = level
        self.outcome = outcome
        self.observations = observations
    }

    public var description: String {
        "\(factor) = \(level): all \(observations) observations have outcome \(Int(outcome)); dropped"
    }
}

/// Probit or logit by Newton's method on the observed Hessian, as the numpy reference
/// (`../shared/fixtures/models/ref_m1.py`) and statsmodels fit liu-zhu-2021's model (4).
/// Covariances: the inverse expected information (fixest, R glm) or observed information
/// (statsmodels), and one-way clustered sandwiches with named small-sample factors.
public struct BinaryChoiceFit: Sendable {
    public let family: BinaryFamily
    public let names: [String]
    public let coefficients: [Double]
    public let logLikelihood: Double
    public let iterations: Int
    /// Observations used: all but those of separated levels.
    public let observations: Int
    /// Levels dropped for perfect prediction, in the order found.
    public let separated: [Separation]
    /// Dense columns dropped because they are linear combinations of the others, as fixest
    /// drops and reports them.
    public let collinear: [String]
    /// The original observations used, in order.
    public let usedRows: [Int]
    private let design: BinaryDesign
    private let outcome: [Double]

    public typealias Failure = EstimationFailure

    /// Fits `outcome` (0/1) on `design`.
    /// - Throws: `Failure` when Newton's method does not converge in `maxIterations`, or the
    ///   Hessian is singular (collinear columns): no estimate is presented then.
    public init(_ family: BinaryFamily, outcome: [Double], design: BinaryDesign, maxIterations: Int = 100) throws {
        self.family = family
        var (design, outcome, separated, usedRows) = (design, outcome, [Separation](), Array(outcome.indices))
        // Drop perfectly predicted levels until none is left (dropping one can expose another).
        while true {
            var dropRow = Array(repeating: false, count: outcome.count)
            var found: [Separation] = []
            for number in 0..<design.factorCount {
                let levels = design.factorLevels[number].count
                var count = Array(repeating: 0, count: levels), ones = Array(repeating: 0.0, count: levels)
                for row in outcome.indices {
                    let code = design.codes[row * design.factorCount + number]
                    count[code] += 1
                    ones[code] += outcome[row]
                }
                for level in 0..<levels where count[level] > 0 && (ones[level] == 0 || ones[level] == Double(count[level])) {
                    found.append(Separation(factor: design.factorNames[number], level: design.factorLevels[number][level],
                                            outcome: ones[level] == 0 ? 0 : 1, observations: count[level]))
                    for row in outcome.indices where design.codes[row * design.factorCount + number] == level { dropRow[row] = true }
                }
            }
            if found.isEmpty { break }
            separated += found
            let keep = outcome.indices.filter { !dropRow[$0] }
            guard !keep.isEmpty else { throw Failure(message: "every observation is perfectly predicted by a fixed effect; no fit is given") }
            design = design.subset(keep)
            outcome = keep.map { outcome[$0] }
            usedRows = keep.map { usedRows[$0] }
        }
        self.separated = separated
        self.usedRows = usedRows
        self.outcome = outcome
        observations = outcome.count
        var beta = Array(repeating: 0.0, count: design.names.count)
        var iteration = 0
        var collinear: [String] = []
        // The last accepted point: a Newton step that lowers the log-likelihood (or leaves it
        // undefined) has overshot — heavy-tailed regressors can send an undamped Newton from
        // β = 0 off to |β| ~ 1e9 — and is halved back towards it, as fixest and glm do.
        var accepted: (beta: [Double], logLikelihood: Double)?
        var halvings = 0
        while true {
            iteration += 1
            let (gradient, hessian, logLikelihood) = Self.newtonPieces(family, outcome, design, beta)
            if let last = accepted, !(logLikelihood.isFinite && logLikelihood >= last.logLikelihood - 1e-10 * abs(last.logLikelihood)) {
                halvings += 1
                guard halvings <= 30, iteration < maxIterations else {
                    throw Failure(message: "Newton's step \(iteration) could not raise the log-likelihood after \(halvings) halvings; no fit is given")
                }
                for index in beta.indices { beta[index] = 0.5 * (beta[index] + last.beta[index]) }
                continue
            }
            halvings = 0
            // At the start (β = 0) the information is X'X up to a constant weight: a dense column
            // whose pivot vanishes there is a combination of the columns before it, and is dropped
            // and reported as fixest does; later, a vanishing pivot means the fit broke down.
            let factor = Cholesky(hessian, tolerance: iteration == 1 ? 1e-10 : 1e-14)
            if iteration == 1, !factor.dropped.isEmpty, factor.dropped.allSatisfy({ $0 < design.denseCount }) {
                collinear += factor.dropped.map { design.names[$0] }
                design = design.removingDense(factor.dropped)
                beta = Array(repeating: 0.0, count: design.names.count)
                iteration = 0
                accepted = nil
                continue
            }
            guard factor.dropped.isEmpty else {
                throw Failure(message: "the columns \(factor.dropped.map { design.names[$0] }.joined(separator: ", ")) are collinear; no fit is given")
            }
            accepted = (beta, logLikelihood)
            let step = factor.solve(gradient)
            for index in beta.indices { beta[index] += step[index] }
            // Newton converges quadratically: once a step is below 1e-9 (relative), the step just
            // taken leaves an error near 1e-18, far below what any reference resolves.
            let largestStep = step.map(abs).max() ?? 0
            if largestStep < 1e-9 * max(1, beta.map(abs).max() ?? 0) { break }
            guard iteration < maxIterations else {
                throw Failure(message: "Newton's method did not converge in \(maxIterations) iterations (last step \(largestStep)); no fit is given")
            }
        }
        self.design = design
        self.collinear = collinear
        names = design.names
        coefficients = beta
        iterations = iteration
        logLikelihood = Self.derivatives(family, outcome, design, beta, information: .observed).logLikelihood
    }

    /// The number of leading parameters that are not dummies of the last `fixedEffects` factors
    /// (the absorbed fixed effects entered as dummies): the regressors' block.
    public func regressorCount(fixedEffects: Int) -> Int {
        design.denseCount + design.factorLevels.dropLast(fixedEffects).reduce(0) { $0 + $1.count - 1 }
    }

    /// The design, for the marginal effects.
    var designForEffects: BinaryDesign { design }

    /// x'b for every observation.
    func linearPredictor() -> [Double] {
        Self.derivatives(family, outcome, design, coefficients, information: .expected).eta
    }

    /// Dense column `column` of observation `row`.
    func denseValue(_ row: Int, _ column: Int) -> Double { design.rows[row * design.denseCount + column] }

    /// Dense columns holding one value throughout (the intercept): they have no marginal effect.
    var designConstantColumns: [Int] {
        (0..<design.denseCount).filter { column in
            let first = denseValue(0, column)
            return (0..<observations).allSatisfy { denseValue($0, column) == first }
        }
    }

    /// Which information matrix a covariance inverts.
    public enum Information: String, Sendable, CaseIterable {
        /// The expected (Fisher) information: fixest, R glm.
        case expected
        /// The observed information (negative Hessian): statsmodels.
        case observed
    }

    /// The inverse information.
    public func classicalCovariance(_ information: Information = .expected) -> Matrix {
        let (_, weights, _, _) = Self.derivatives(family, outcome, design, coefficients, information: information)
        return Self.inverse(Self.weightedGram(design, weights))
    }

    /// The inverse of an information matrix; where it is not positive definite at the estimate
    /// (a pivot ≤ 0), a matrix of NaN of the full size rather than a smaller one whose indices
    /// would run past the parameters: the caller sees no standard error, not a crash.
    static func inverse(_ information: Matrix) -> Matrix {
        let factor = Cholesky(information, tolerance: 0)
        guard factor.dropped.isEmpty else {
            var missing = Matrix(rows: information.rows, columns: information.columns)
            missing.values = missing.values.map { _ in .nan }
            return missing
        }
        return factor.inverse()
    }

    /// The one-way clustered sandwich V·M·V with V the inverse `information` and M the sum over
    /// clusters of the outer products of the clusters' summed scores, times `scale` (e.g.
    /// G/(G−1)·(N−1)/(N−K), fixest's and pyfixest's default; 1 for CR0).
    /// `clusters` holds a code per original observation (those of separated levels are skipped).
    public func clusteredCovariance(_ clusters: [Int], information: Information = .expected, scale: Double) -> Matrix {
        clusteredCovariance(Clusters(usedRows.map { clusters[$0] }), information: information, scale: scale)
    }

    /// The one-way clustered sandwich with fixest's default scale, G/(G−1)·(N−1)/(N−K), where K
    /// leaves out the dummies of factors nested in the clusters (fixest's `fixef.K = "nested"`).
    public func clusteredCovariance(_ clusters: [Int], information: Information = .expected) -> Matrix {
        let groups = Clusters(usedRows.map { clusters[$0] })
        let g = Double(groups.count), n = Double(observations)
        return clusteredCovariance(groups, information: information, scale: g / (g - 1) * (n - 1) / (n - Double(parameters(nestedIn: [groups]))))
    }

    /// The heteroskedasticity-robust sandwich (each observation its own cluster): HC1 scales by
    /// N/(N−K) as for linear models; HC0 not at all — which is what statsmodels' `HC1` gives for
    /// discrete models (tested).
    public func heteroskedasticCovariance(information: Information = .expected, adjustment: HeteroskedasticAdjustment = .hc1) -> Matrix {
        let n = Double(observations)
        let scale = adjustment == .hc1 ? n / (n - Double(names.count)) : 1
        return clusteredCovariance(Clusters(singletons: observations), information: information, scale: scale)
    }

    /// The two-way clustered sandwich of Cameron, Gelbach and Miller (2011), V_A + V_B − V_A∩B.
    /// `.fixest` scales every term by G/(G−1)·(N−1)/(N−K) with the smaller dimension's G and K
    /// leaving out factors nested in either clustering; `.none` not at all; `.sandwich` each term
    /// by its own G/(G−1) (R sandwich's `vcovCL` with two clusterings); any other convention
    /// gives each term its own G with (N−1)/(N−K), K every parameter (statsmodels'
    /// `cov_cluster_2groups`).
    public func clusteredCovariance(_ first: [Int], _ second: [Int], information: Information = .expected,
                                    adjustment: ClusterAdjustment = .fixest) -> Matrix {
        let a = Clusters(usedRows.map { first[$0] }), b = Clusters(usedRows.map { second[$0] })
        let both = Clusters(intersecting: a, b)
        let n = Double(observations)
        let parameters = adjustment == .fixest ? parameters(nestedIn: [a, b]) : names.count
        var total = Matrix(rows: names.count, columns: names.count)
        for (groups, sign) in [(a, 1.0), (b, 1.0), (both, -1.0)] {
            let g = Double(adjustment == .fixest ? min(a.count, b.count) : groups.count)
            let scale = adjustment == .none ? 1 : adjustment == .sandwich ? g / (g - 1) : g / (g - 1) * (n - 1) / (n - Double(parameters))
            let term = clusteredCovariance(groups, information: information, scale: scale)
            for index in total.values.indices { total.values[index] += sign * term.values[index] }
        }
        return total
    }

    /// The parameters fixest counts in K for clustered errors: all but the dummies of factors
    /// nested in one of `clusterings` (fixest's `fixef.K = "nested"`).
    private func parameters(nestedIn clusterings: [Clusters]) -> Int {
        var parameters = names.count
        for factor in 0..<design.factorCount {
            let nested = clusterings.contains { groups in
                var clusterOfLevel = [Int32](repeating: -1, count: design.factorLevels[factor].count)
                for row in 0..<observations {
                    let level = design.factorCode(row, factor), cluster = groups.codes[row]
                    if clusterOfLevel[level] < 0 { clusterOfLevel[level] = cluster } else if clusterOfLevel[level] != cluster { return false }
                }
                return true
            }
            if nested { parameters -= design.factorLevels[factor].count - 1 }
        }
        return parameters
    }

    private func clusteredCovariance(_ groups: Clusters, information: Information, scale: Double) -> Matrix {
        let k = names.count
        let (scores, weights, _, _) = Self.derivatives(family, outcome, design, coefficients, information: information)
        // Rows ordered by cluster (a counting sort), so each cluster's score sum is built in a
        // k-vector and only its non-zero entries — the dense columns and the dummies of the
        // levels it meets — are paired: no G × K array.
        var starts = [Int](repeating: 0, count: groups.count + 1)
        for code in groups.codes { starts[Int(code) + 1] += 1 }
        for group in 0..<groups.count { starts[group + 1] += starts[group] }
        var order = [Int](repeating: 0, count: observations)
        var next = starts
        for (row, code) in groups.codes.enumerated() {
            order[next[Int(code)]] = row
            next[Int(code)] += 1
        }
        let offsets = design.factorOffsets, dense = design.denseCount
        var meat = Matrix(rows: k, columns: k)
        meat.values = RowSlices.sum(groups.count, width: k * k) { clusterRange, meat in
            var sum = [Double](repeating: 0, count: k)
            var touched: [Int] = [], seen = [Bool](repeating: false, count: k)
            design.rows.withUnsafeBufferPointer { x in
                design.codes.withUnsafeBufferPointer { codes in
                    for group in clusterRange {
                        touched.removeAll(keepingCapacity: true)
                        for column in 0..<dense { touched.append(column); seen[column] = true }
                        for row in order[starts[group]..<starts[group + 1]] {
                            let score = scores[row]
                            for column in 0..<dense { sum[column] += score * x[row * dense + column] }
                            design.forEachDummy(row, codes, offsets) { position in
                                sum[position] += score
                                if !seen[position] { seen[position] = true; touched.append(position) }
                            }
                        }
                        // Pair each entry with those at or after it, in index order: the upper
                        // triangle, without testing every pair.
                        touched.sort()
                        for (a, i) in touched.enumerated() {
                            let si = sum[i]
                            for j in touched[a...] { meat[i * k + j] += si * sum[j] }
                        }
                        for i in touched { sum[i] = 0; seen[i] = false }
                    }
                }
            }
        }
        for i in 0..<k { for j in 0..<i { meat[i, j] = meat[j, i] } }
        let bread = Self.inverse(Self.weightedGram(design, weights))
        return scale * (bread * meat * bread)
    }

    // MARK: Likelihood pieces

    /// Per observation: the score multiplier (score = multiplier × x), the Hessian weight for
    /// `information`, and the log-likelihood.
    static func derivatives(_ family: BinaryFamily, _ y: [Double], _ design: BinaryDesign, _ beta: [Double],
                            information: Information) -> (scores: [Double], weights: [Double], logLikelihood: Double, eta: [Double]) {
        let n = y.count
        var eta = Array(repeating: 0.0, count: n)
        var scores = Array(repeating: 0.0, count: n), weights = Array(repeating: 0.0, count: n)
        let offsets = design.factorOffsets, dense = design.denseCount
        let logLikelihood = eta.withUnsafeMutableBufferPointer { eta in
            scores.withUnsafeMutableBufferPointer { scores in
                weights.withUnsafeMutableBufferPointer { weights in
                    let outputs = UncheckedSendable((eta, scores, weights))
                    return RowSlices.sum(n, width: 1) { rows, logLikelihood in
                        let (eta, scores, weights) = outputs.value
                        design.rows.withUnsafeBufferPointer { x in
                            design.codes.withUnsafeBufferPointer { codes in
                                for row in rows {
                                    var sum = 0.0
                                    for column in 0..<dense { sum += beta[column] * x[row * dense + column] }
                                    design.forEachDummy(row, codes, offsets) { sum += beta[$0] }
                                    eta[row] = sum
                                }
                            }
                        }
                        for row in rows {
                            let (score, weight, logLikelihoodTerm) = rowDerivatives(family, y[row], eta[row], information)
                            scores[row] = score
                            weights[row] = weight
                            logLikelihood[0] += logLikelihoodTerm
                        }
                    }[0]
                }
            }
        }
        return (scores, weights, logLikelihood, eta)
    }

    /// One observation's score multiplier, Hessian weight under `information`, and
    /// log-likelihood, at linear predictor z.
    @inline(__always)
    static func rowDerivatives(_ family: BinaryFamily, _ y: Double, _ z: Double, _ information: Information)
        -> (score: Double, weight: Double, logLikelihood: Double) {
        // The GLM core's pieces: 1 − p from the other tail, log Φ by the Mills ratio below −5.
        let family: GLMFamily = family == .probit ? .probit : .logit
        if information == .observed {
            let pieces = family.newton(y, z)
            return (pieces.score, pieces.observed, pieces.logLikelihood)
        }
        let pieces = family.pieces(y, z)
        return (pieces.score, pieces.weight, pieces.logLikelihood)
    }

    /// The gradient X's and the observed information X'WX at `beta`, in one pass over the rows
    /// (each Newton step reads the design once, not three times).
    static func newtonPieces(_ family: BinaryFamily, _ y: [Double], _ design: BinaryDesign, _ beta: [Double])
        -> (gradient: [Double], hessian: Matrix, logLikelihood: Double) {
        let k = design.names.count, dense = design.denseCount
        let offsets = design.factorOffsets
        let sums = RowSlices.sum(y.count, width: k * k + k + 1) { rows, h in
            var positions = Array(repeating: 0, count: design.factorCount)
            design.rows.withUnsafeBufferPointer { x in
                design.codes.withUnsafeBufferPointer { codes in
                    for row in rows {
                        var z = 0.0
                        for column in 0..<dense { z += beta[column] * x[row * dense + column] }
                        var count = 0
                        design.forEachDummy(row, codes, offsets) { position in
                            z += beta[position]
                            positions[count] = position
                            count += 1
                        }
                        let (score, weight, logLikelihood) = rowDerivatives(family, y[row], z, .observed)
                        h[k * k + k] += logLikelihood
                        let gradient = k * k
                        for column in 0..<dense { h[gradient + column] += score * x[row * dense + column] }
                        for position in positions[0..<count] { h[gradient + position] += score }
                        addToGram(row, weight, x, dense, positions, count, k, h)
                    }
                }
            }
        }
        var hessian = Matrix(rows: k, columns: k)
        hessian.values = Array(sums[0..<(k * k)])
        for i in 0..<k { for j in 0..<i { hessian[i, j] = hessian[j, i] } }
        return (Array(sums[(k * k)..<(k * k + k)]), hessian, sums[k * k + k])
    }

    /// Adds w·x x' of one observation to the upper triangle of `h` (k × k): dense pairs, dense ×
    /// dummy and dummy × dummy, the dummies being the `count` parameter indices in `positions`.
    @inline(__always)
    static func addToGram(_ row: Int, _ w: Double, _ x: UnsafeBufferPointer<Double>, _ dense: Int,
                          _ positions: [Int], _ count: Int, _ k: Int, _ h: UnsafeMutableBufferPointer<Double>) {
        for a in 0..<dense {
            let wa = w * x[row * dense + a]
            for b in a..<dense { h[a * k + b] += wa * x[row * dense + b] }
            for p in positions[0..<count] { h[a * k + p] += wa }
        }
        for i in 0..<count {
            let p = positions[i]
            h[p * k + p] += w
            for j in (i + 1)..<max(count, i + 1) {
                let q = positions[j]
                h[min(p, q) * k + max(p, q)] += w
            }
        }
    }

    /// X'v for a per-observation vector v.
    static func crossProduct(_ design: BinaryDesign, _ vector: [Double]) -> [Double] {
        let offsets = design.factorOffsets, dense = design.denseCount
        return RowSlices.sum(vector.count, width: design.names.count) { rows, result in
            design.rows.withUnsafeBufferPointer { x in
                design.codes.withUnsafeBufferPointer { codes in
                    for row in rows {
                        let value = vector[row]
                        for column in 0..<dense { result[column] += value * x[row * dense + column] }
                        design.forEachDummy(row, codes, offsets) { result[$0] += value }
                    }
                }
            }
        }
    }

    /// X'WX in O(N·(k² + k·F + F²)) for k dense columns and F factors.
    static func weightedGram(_ design: BinaryDesign, _ weights: [Double]) -> Matrix {
        let k = design.names.count, dense = design.denseCount
        let offsets = design.factorOffsets
        var gram = Matrix(rows: k, columns: k)
        gram.values = RowSlices.sum(weights.count, width: k * k) { rows, h in
            var positions = Array(repeating: 0, count: design.factorCount)
            design.rows.withUnsafeBufferPointer { x in
                design.codes.withUnsafeBufferPointer { codes in
                    for row in rows {
                        let w = weights[row]
                        var count = 0
                        design.forEachDummy(row, codes, offsets) { position in
                            positions[count] = position
                            count += 1
                        }
                        addToGram(row, w, x, dense, positions, count, k, h)
                    }
                }
            }
        }
        // Mirror the upper triangle.
        for i in 0..<k { for j in 0..<i { gram[i, j] = gram[j, i] } }
        return gram
    }
}
