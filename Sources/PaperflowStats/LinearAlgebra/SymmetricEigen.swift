/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations (Golub &
/// Van Loan, §8.5): sweeps of plane rotations, each zeroing one off-diagonal entry, until the
/// off-diagonal mass is below 1e-30 of the whole. The sizes at hand are covariance matrices of
/// a few dozen regressors.
public struct SymmetricEigen: Sendable {
    public let values: [Double]
    /// Column j (row-major, `vectors[i, j]`) is the eigenvector of `values[j]`.
    public let vectors: Matrix

    public init(_ matrix: Matrix) {
        precondition(matrix.rows == matrix.columns, "eigenvalues need a square matrix")
        let n = matrix.rows
        var a = matrix, v = Matrix(rows: n, columns: n)
        for i in 0..<n { v[i, i] = 1 }
        let total = a.values.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i, j] * a[i, j] } }
            if off <= 1e-30 * total { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where a[p, q] != 0 {
                    // The rotation that zeroes a[p, q]: t = tan θ, the smaller root.
                    let theta = (a[q, q] - a[p, p]) / (2 * a[p, q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k, p], akq = a[k, q]
                        a[k, p] = c * akp - s * akq
                        a[k, q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p, k], aqk = a[q, k]
                        a[p, k] = c * apk - s * aqk
                        a[q, k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k, p], vkq = v[k, q]
                        v[k, p] = c * vkp - s * vkq
                        v[k, q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<n).map { a[$0, $0] }
        vectors = v
    }

    /// `matrix` with its negative eigenvalues set to zero, and whether any was: the rule of
    /// Cameron, Gelbach & Miller (2011, §2.3) for a two-way clustered covariance, which fixest
    /// applies (`vcov_fix`). With `block`, only the rows and columns at those indices are fixed
    /// (the regressors' block, as fixest's covariance holds no fixed-effect dummies); the rest is
    /// left as computed.
    public static func positiveSemidefinite(_ matrix: Matrix, block: [Int]? = nil) -> (matrix: Matrix, adjusted: Bool) {
        let indices = block ?? Array(0..<matrix.rows)
        var part = Matrix(rows: indices.count, columns: indices.count)
        for (a, i) in indices.enumerated() { for (b, j) in indices.enumerated() { part[a, b] = matrix[i, j] } }
        let eigen = SymmetricEigen(part)
        guard eigen.values.contains(where: { $0 < 0 }) else { return (matrix, false) }
        let n = indices.count
        var fixed = Matrix(rows: n, columns: n)
        for (j, value) in eigen.values.enumerated() where value > 0 {
            for i in 0..<n { for k in 0..<n { fixed[i, k] += value * eigen.vectors[i, j] * eigen.vectors[k, j] } }
        }
        var result = matrix
        for (a, i) in indices.enumerated() { for (b, j) in indices.enumerated() { result[i, j] = fixed[a, b] } }
        return (result, true)
    }
}
