#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Cholesky factorisation of a symmetric positive semi-definite matrix (X'X), with
/// collinear columns detected and dropped as fixest does: a column whose pivot, after the
/// columns before it are projected out, falls below `tolerance` times its reference size (its
/// own diagonal entry, or the `reference` given — for demeaned columns, the column's sum of
/// squares before the fixed effects were absorbed, so a column the fixed effects absorb is
/// dropped rather than judged against its own rounding noise) is a linear combination of those
/// columns. The factor covers the kept columns only.
public struct Cholesky: Sendable {
    /// Indices of the kept and dropped columns of the original matrix.
    public let kept: [Int]
    public let dropped: [Int]
    /// Lower-triangular factor of the kept block, row-major, `kept.count` square.
    private let factor: Matrix

    /// Factorises `matrix` (symmetric; only its lower triangle is read).
    public init(_ matrix: Matrix, tolerance: Double = 1e-10, reference: [Double]? = nil) {
        precondition(matrix.rows == matrix.columns, "Cholesky needs a square matrix")
        let n = matrix.rows
        var lower = Matrix(rows: n, columns: n)
        var kept: [Int] = [], dropped: [Int] = []
        for j in 0..<n {
            var pivot = matrix[j, j]
            for position in kept.indices { pivot -= lower[j, position] * lower[j, position] }
            if pivot <= tolerance * max(reference?[j] ?? matrix[j, j], .leastNormalMagnitude) || !pivot.isFinite {
                dropped.append(j)
                continue
            }
            let position = kept.count
            let root = pivot.squareRoot()
            lower[j, position] = root
            // Entries of later rows in this column.
            for i in (j + 1)..<max(n, j + 1) {
                var sum = matrix[i, j]
                for p in 0..<position { sum -= lower[i, p] * lower[j, p] }
                lower[i, position] = sum / root
            }
            kept.append(j)
        }
        var compact = Matrix(rows: kept.count, columns: kept.count)
        for (a, i) in kept.enumerated() {
            for b in 0...a { compact[a, b] = lower[i, b] }
        }
        self.kept = kept
        self.dropped = dropped
        factor = compact
    }

    /// Solves A x = b on the kept columns (`b` indexed like the original matrix); dropped
    /// columns get 0.
    public func solve(_ rightHandSide: [Double]) -> [Double] {
        let m = kept.count
        var z = forwardSubstitute(kept.map { rightHandSide[$0] })
        for i in stride(from: m - 1, through: 0, by: -1) {
            var sum = z[i]
            for k in (i + 1)..<max(m, i + 1) { sum -= factor[k, i] * z[k] }
            z[i] = sum / factor[i, i]
        }
        var solution = Array(repeating: 0.0, count: kept.count + dropped.count)
        for (position, column) in kept.enumerated() { solution[column] = z[position] }
        return solution
    }

    /// L⁻¹b for the factor L of the kept block (`b` in the kept columns' order): |L⁻¹(x − μ)|² is
    /// the Mahalanobis distance under the factored covariance.
    public func forwardSubstitute(_ b: [Double]) -> [Double] {
        var z = b
        for i in 0..<kept.count {
            var sum = z[i]
            for k in 0..<i { sum -= factor[i, k] * z[k] }
            z[i] = sum / factor[i, i]
        }
        return z
    }

    /// log det of the kept block: twice the sum of the log pivots.
    public var logDeterminant: Double {
        (0..<kept.count).reduce(0) { $0 + 2 * log(factor[$1, $1]) }
    }

    /// L⁻¹, the inverse of the kept block's lower factor (Q^{-1/2}' for Q = LL').
    public func lowerInverse() -> Matrix {
        let m = kept.count
        var result = Matrix(rows: m, columns: m)
        var unit = Array(repeating: 0.0, count: m)
        for column in 0..<m {
            unit[column] = 1
            for (row, value) in forwardSubstitute(unit).enumerated() { result[row, column] = value }
            unit[column] = 0
        }
        return result
    }

    /// The inverse of the kept block, in the kept columns' order.
    public func inverse() -> Matrix {
        let m = kept.count
        var result = Matrix(rows: m, columns: m)
        var unit = Array(repeating: 0.0, count: kept.count + dropped.count)
        for (position, column) in kept.enumerated() {
            unit[column] = 1
            let solution = solve(unit)
            unit[column] = 0
            for (row, other) in kept.enumerated() { result[row, position] = solution[other] }
        }
        return result
    }
}
