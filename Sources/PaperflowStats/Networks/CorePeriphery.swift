/// Borgatti & Everett's core–periphery models (Social Networks 21, 1999/2000) on a symmetric
/// tie-strength matrix (the diagonal is ignored).
///
/// The continuous model fits a_ij ≈ c_i c_j for i ≠ j by least squares (UCINET's "minres"
/// coreness): at the optimum c_i = Σ_{j≠i} a_ij c_j / Σ_{j≠i} c_j², solved by that fixed-point
/// iteration from the row sums; coreness is reported with unit Euclidean norm. The discrete split
/// takes the top k nodes by coreness as the core, for the k whose ideal pattern (core–core 1,
/// periphery–periphery 0, core–periphery pairs left out, UCINET's default) correlates best with
/// the observed ties.
public struct CorePeriphery: Sendable, Equatable {
    /// Each node's coreness, unit Euclidean norm, non-negative.
    public var coreness: [Double]
    /// Correlation over i ≠ j of a_ij with c_i c_j.
    public var continuousFit: Double
    /// Whether each node is in the core of the best discrete split.
    public var core: [Bool]
    /// Correlation of the ties with the chosen discrete ideal pattern.
    public var discreteFit: Double
    /// Fixed-point iterations used.
    public var iterations: Int

    /// Fits both models to `matrix` (square, symmetric, non-negative).
    /// - Throws: `EstimationFailure` when the matrix has no ties, fewer than 3 nodes, or the
    ///   iteration does not converge.
    public init(_ matrix: [[Double]], tolerance: Double = 1e-13, maxIterations: Int = 100_000) throws {
        let n = matrix.count
        guard n >= 3 else { throw EstimationFailure(message: "a core–periphery fit needs at least 3 nodes; there are \(n)") }
        var c = (0..<n).map { i in (0..<n).reduce(0) { $1 == i ? $0 : $0 + matrix[i][$1] } }
        let scale = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard scale > 0 else { throw EstimationFailure(message: "a core–periphery fit needs ties; the network has none") }
        c = c.map { $0 / scale }
        var iterations = 0
        while true {
            iterations += 1
            let squares = c.reduce(0) { $0 + $1 * $1 }
            var next = (0..<n).map { i -> Double in
                var numerator = 0.0
                for j in 0..<n where j != i { numerator += matrix[i][j] * c[j] }
                let denominator = squares - c[i] * c[i]
                return denominator > 0 ? numerator / denominator : 0
            }
            // Undamped, the iteration can alternate between two vectors; averaging with the last
            // step keeps the same fixed point and converges.
            next = zip(next, c).map { 0.5 * ($0 + $1) }
            let change = zip(next, c).reduce(0) { max($0, abs($1.0 - $1.1)) }
            c = next
            if change < tolerance * max(1, c.max()!) { break }
            if iterations == maxIterations {
                throw EstimationFailure(message: "the core–periphery fit did not converge in \(maxIterations) iterations")
            }
        }
        let norm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let coreness = c.map { max(0, $0 / norm) }
        self.coreness = coreness
        self.iterations = iterations
        var observed: [Double] = [], fitted: [Double] = []
        for i in 0..<n {
            for j in 0..<n where j != i {
                observed.append(matrix[i][j])
                fitted.append(coreness[i] * coreness[j])
            }
        }
        continuousFit = Correlation.pearson(observed, fitted)
        // The discrete split: the top k by coreness (ties by node order), k = 1 … n − 1.
        let ranked = (0..<n).sorted { coreness[$0] != coreness[$1] ? coreness[$0] > coreness[$1] : $0 < $1 }
        var best = (k: 1, fit: -Double.infinity)
        for k in 1..<n {
            var inCore = [Bool](repeating: false, count: n)
            for node in ranked.prefix(k) { inCore[node] = true }
            var ties: [Double] = [], ideal: [Double] = []
            for i in 0..<n {
                for j in 0..<n where j != i && inCore[i] == inCore[j] {
                    ties.append(matrix[i][j])
                    ideal.append(inCore[i] ? 1 : 0)
                }
            }
            let fit = Correlation.pearson(ties, ideal)
            if fit > best.fit { best = (k, fit) }
        }
        let chosen = Set(ranked.prefix(best.k))
        core = (0..<n).map(chosen.contains)
        discreteFit = best.fit
    }
}
