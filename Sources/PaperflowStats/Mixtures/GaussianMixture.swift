#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Gaussian mixture fitted by EM (Dempster, Laird and Rubin 1977), as shen-2025 delimits
/// industrial clusters, following scikit-learn's `GaussianMixture` conventions so its figures
/// cross-check: `reg_covar` added to every covariance's diagonal, k-means++ seeding (Arthur and
/// Vassilvitskii 2007) with each point given to its nearest seed, several restarts keeping the
/// highest likelihood, BIC = −2 log L + p log N and AIC = −2 log L + 2p.
///
/// Restarts draw from one seeded stream in order, so a seed fixes the result bit for bit.
public struct GaussianMixture: Sendable {
    public enum CovarianceType: String, Sendable, CaseIterable {
        /// Each component its own full covariance matrix.
        case full
        /// Each component its own diagonal covariance.
        case diagonal
    }

    public struct Options: Sendable {
        public var covariance: CovarianceType = .full
        public var seed: UInt64 = 0
        public var restarts: Int = 5
        public var maxIterations: Int = 1000
        /// Stop when the mean log-likelihood per point changes by less than this.
        public var tolerance: Double = 1e-10
        /// Added to every variance, keeping covariances positive definite (scikit-learn's 1e-6).
        public var regularization: Double = 1e-6

        public init(covariance: CovarianceType = .full, seed: UInt64 = 0, restarts: Int = 5) {
            self.covariance = covariance
            self.seed = seed
            self.restarts = restarts
        }
    }

    public typealias Failure = EstimationFailure

    public let covariance: CovarianceType
    public let weights: [Double]
    public let means: [[Double]]
    /// Covariance matrices (diagonal ones as diagonal matrices).
    public let covariances: [Matrix]
    /// Total log-likelihood of the points at the fit.
    public let logLikelihood: Double
    public let observations: Int
    /// EM iterations of the kept restart, and whether it met the tolerance.
    public let iterations: Int
    public let converged: Bool

    public var components: Int { weights.count }
    public var dimensions: Int { means.first?.count ?? 0 }

    /// Free parameters: means, covariances and k − 1 weights.
    public var parameterCount: Int {
        let k = components, d = dimensions
        let perCovariance = covariance == .full ? d * (d + 1) / 2 : d
        return k * d + k * perCovariance + k - 1
    }

    public var bic: Double { -2 * logLikelihood + Double(parameterCount) * log(Double(observations)) }
    public var aic: Double { -2 * logLikelihood + 2 * Double(parameterCount) }

    /// Fits `components` Gaussians to `points` (one array of `d` coordinates per point).
    /// - Throws: `Failure` when there are fewer points than components, the points' dimensions
    ///   differ, or no restart converges within `maxIterations`.
    public init(fitting points: [[Double]], components: Int, options: Options = Options()) throws {
        let n = points.count
        guard components >= 1, n >= components else {
            throw Failure(message: "a mixture of \(components) components needs at least \(components) points; there are \(n)")
        }
        let d = points[0].count
        guard d > 0, points.allSatisfy({ $0.count == d }) else { throw Failure(message: "every point must have the same, positive number of coordinates") }
        var generator = SeededGenerator(seed: options.seed)
        let flat = Points(points)
        var best: State?
        for _ in 0..<max(options.restarts, 1) {
            var state = State(points: flat, assignment: Self.seedAssignment(flat, components, &generator), components: components, options: options)
            state.run(flat, options)
            if best == nil || state.logLikelihood > best!.logLikelihood { best = state }
        }
        let fit = best!
        guard fit.converged else {
            throw Failure(message: "EM did not converge in \(options.maxIterations) iterations on any of \(options.restarts) restarts; no mixture is given")
        }
        covariance = options.covariance
        weights = fit.weights
        means = fit.means
        covariances = fit.covariances
        logLikelihood = fit.logLikelihood
        observations = n
        iterations = fit.iterations
        converged = fit.converged
    }

    /// Fits 1 through `maxComponents` components and returns each fit and the number BIC picks.
    public static func select(_ points: [[Double]], upTo maxComponents: Int, options: Options = Options()) throws -> (fits: [GaussianMixture], best: Int) {
        let fits = try (1...maxComponents).map { try GaussianMixture(fitting: points, components: $0, options: options) }
        let best = fits.indices.min { fits[$0].bic < fits[$1].bic }! + 1
        return (fits, best)
    }

    /// Each point's posterior probability of each component.
    public func responsibilities(_ points: [[Double]]) -> [[Double]] {
        let flat = Points(points), k = components
        let densities = ComponentDensities(means: means, covariances: covariances, weights: weights)
        var posterior = [Double](repeating: 0, count: flat.count * k)
        _ = densities.posteriors(flat, into: &posterior)
        return (0..<flat.count).map { Array(posterior[($0 * k)..<($0 * k + k)]) }
    }

    /// Each point's most probable component.
    public func predict(_ points: [[Double]]) -> [Int] {
        responsibilities(points).map { row in row.indices.max { row[$0] < row[$1] }! }
    }

    // MARK: EM

    /// k-means++ seeds: the first a uniformly drawn point, each next one drawn with probability
    /// proportional to the squared distance to the nearest seed so far; every point then goes
    /// to its nearest seed.
    static func seedAssignment(_ points: Points, _ k: Int, _ generator: inout SeededGenerator) -> [Int] {
        var seeds = [Int(generator.unit() * Double(points.count))]
        var nearest = (0..<points.count).map { points.distance($0, seeds[0]) }
        while seeds.count < k {
            let total = nearest.reduce(0, +)
            var target = generator.unit() * total, chosen = points.count - 1
            for (index, weight) in nearest.enumerated() {
                target -= weight
                if target < 0 { chosen = index; break }
            }
            seeds.append(chosen)
            for index in 0..<points.count { nearest[index] = min(nearest[index], points.distance(index, chosen)) }
        }
        return (0..<points.count).map { point in seeds.indices.min { points.distance(point, seeds[$0]) < points.distance(point, seeds[$1]) }! }
    }

    /// One restart's parameters as EM moves them.
    struct State {
        var weights: [Double] = []
        var means: [[Double]] = []
        var covariances: [Matrix] = []
        var logLikelihood = -Double.infinity
        var iterations = 0
        var converged = false
        let covariance: CovarianceType
        let components: Int

        init(points: Points, assignment: [Int], components: Int, options: Options) {
            covariance = options.covariance
            self.components = components
            var responsibilities = [Double](repeating: 0, count: points.count * components)
            for (index, component) in assignment.enumerated() { responsibilities[index * components + component] = 1 }
            maximize(points, responsibilities, options.regularization)
        }

        mutating func run(_ points: Points, _ options: Options) {
            var previous = -Double.infinity
            var responsibilities = [Double](repeating: 0, count: points.count * components)
            for iteration in 1...options.maxIterations {
                let densities = ComponentDensities(means: means, covariances: covariances, weights: weights)
                logLikelihood = densities.posteriors(points, into: &responsibilities)
                iterations = iteration
                let mean = logLikelihood / Double(points.count)
                if abs(mean - previous) < options.tolerance {
                    converged = true
                    return
                }
                previous = mean
                maximize(points, responsibilities, options.regularization)
            }
        }

        /// The M step: weights, means and covariances from the responsibilities (n × k, flat).
        mutating func maximize(_ points: Points, _ responsibilities: [Double], _ regularization: Double) {
            let k = components, d = points.dimensions, n = points.count
            var sizes = [Double](repeating: 10 * Double.ulpOfOne, count: k)
            var means = [Double](repeating: 0, count: k * d)
            var scatter = [Double](repeating: 0, count: k * d * d)
            points.values.withUnsafeBufferPointer { x in
                responsibilities.withUnsafeBufferPointer { r in
                    for i in 0..<n {
                        for c in 0..<k where r[i * k + c] != 0 {
                            sizes[c] += r[i * k + c]
                            for j in 0..<d { means[c * d + j] += r[i * k + c] * x[i * d + j] }
                        }
                    }
                    for c in 0..<k { for j in 0..<d { means[c * d + j] /= sizes[c] } }
                    var centred = [Double](repeating: 0, count: d)
                    for i in 0..<n {
                        for c in 0..<k where r[i * k + c] != 0 {
                            let weight = r[i * k + c]
                            for j in 0..<d { centred[j] = x[i * d + j] - means[c * d + j] }
                            for a in 0..<d {
                                let scaled = weight * centred[a]
                                if covariance == .diagonal {
                                    scatter[(c * d + a) * d + a] += scaled * centred[a]
                                } else {
                                    for b in 0...a { scatter[(c * d + a) * d + b] += scaled * centred[b] }
                                }
                            }
                        }
                    }
                }
            }
            covariances = (0..<k).map { c in
                var matrix = Matrix(rows: d, columns: d)
                for a in 0..<d {
                    for b in 0...a {
                        matrix[a, b] = scatter[(c * d + a) * d + b] / sizes[c]
                        matrix[b, a] = matrix[a, b]
                    }
                    matrix[a, a] += regularization
                }
                return matrix
            }
            weights = sizes.map { $0 / Double(n) }
            self.means = (0..<k).map { Array(means[($0 * d)..<($0 * d + d)]) }
        }
    }
}

/// Points stored flat, point i's coordinates at `i * dimensions`.
struct Points {
    let values: [Double]
    let count: Int
    let dimensions: Int

    init(_ points: [[Double]]) {
        values = points.flatMap { $0 }
        count = points.count
        dimensions = points.first?.count ?? 0
    }

    func distance(_ a: Int, _ b: Int) -> Double {
        var sum = 0.0
        for j in 0..<dimensions {
            let difference = values[a * dimensions + j] - values[b * dimensions + j]
            sum += difference * difference
        }
        return sum
    }
}

/// Each component's log weight, log normalising constant and inverse Cholesky factor, for the
/// E step.
struct ComponentDensities {
    let means: [Double]
    /// L⁻¹ of each covariance LLᵀ, lower triangular, d × d flat per component.
    let inverseFactors: [Double]
    let logConstants: [Double]
    let dimensions: Int

    init(means: [[Double]], covariances: [Matrix], weights: [Double]) {
        let d = means.first?.count ?? 0
        dimensions = d
        self.means = means.flatMap { $0 }
        var inverseFactors: [Double] = []
        var logConstants: [Double] = []
        for (covariance, weight) in zip(covariances, weights) {
            let factor = Cholesky(covariance, tolerance: 0)
            // Column j of L⁻¹ is L⁻¹eⱼ.
            var inverse = [Double](repeating: 0, count: d * d)
            for j in 0..<d {
                var unit = [Double](repeating: 0, count: d)
                unit[j] = 1
                for (i, value) in factor.forwardSubstitute(unit).enumerated() { inverse[i * d + j] = value }
            }
            inverseFactors += inverse
            logConstants.append(log(weight) - 0.5 * (Double(d) * log(2 * Double.pi) + factor.logDeterminant))
        }
        self.inverseFactors = inverseFactors
        self.logConstants = logConstants
    }

    /// Writes each point's posterior probabilities (n × k, flat) and returns the total
    /// log-likelihood.
    func posteriors(_ points: Points, into posterior: inout [Double]) -> Double {
        let k = logConstants.count, d = dimensions
        var total = 0.0
        var centred = [Double](repeating: 0, count: d)
        points.values.withUnsafeBufferPointer { x in
            posterior.withUnsafeMutableBufferPointer { out in
                for i in 0..<points.count {
                    var top = -Double.infinity
                    for c in 0..<k {
                        for j in 0..<d { centred[j] = x[i * d + j] - means[c * d + j] }
                        var distance = 0.0
                        for a in 0..<d {
                            var z = 0.0
                            for b in 0...a { z += inverseFactors[(c * d + a) * d + b] * centred[b] }
                            distance += z * z
                        }
                        let value = logConstants[c] - 0.5 * distance
                        out[i * k + c] = value
                        top = max(top, value)
                    }
                    var sum = 0.0
                    for c in 0..<k { sum += exp(out[i * k + c] - top) }
                    let logSum = top + log(sum)
                    for c in 0..<k { out[i * k + c] = exp(out[i * k + c] - logSum) }
                    total += logSum
                }
            }
        }
        return total
    }
}

/// The adjusted Rand index of two partitions (Hubert and Arabie 1985): 1 when they agree up to
/// relabelling, about 0 for unrelated ones (scikit-learn's `adjusted_rand_score`).
public func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
    precondition(a.count == b.count, "partitions of different sizes")
    func pairs(_ count: Int) -> Double { Double(count) * Double(count - 1) / 2 }
    var table: [[Int]: Int] = [:], rows: [Int: Int] = [:], columns: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        table[[x, y], default: 0] += 1
        rows[x, default: 0] += 1
        columns[y, default: 0] += 1
    }
    let index = table.values.reduce(0) { $0 + pairs($1) }
    let rowPairs = rows.values.reduce(0) { $0 + pairs($1) }, columnPairs = columns.values.reduce(0) { $0 + pairs($1) }
    let expected = rowPairs * columnPairs / pairs(a.count)
    let maximum = (rowPairs + columnPairs) / 2
    guard maximum != expected else { return 1 }
    return (index - expected) / (maximum - expected)
}
