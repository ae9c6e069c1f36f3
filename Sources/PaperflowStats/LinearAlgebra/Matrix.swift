/// A dense matrix of doubles, row-major: the sizes at hand are K × K with K up to a few hundred.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Element (i, j) is `values[i * columns + j]`.
    public var values: [Double]

    /// A matrix of zeros.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        values = Array(repeating: 0, count: rows * columns)
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// X'X for the columns of a design matrix (each column one array of N values), or X'WX with a
    /// weight per row.
    public static func gram(_ columns: [[Double]], weights: [Double]? = nil) -> Matrix {
        var result = Matrix(rows: columns.count, columns: columns.count)
        for i in columns.indices {
            for j in i..<columns.count {
                var sum = 0.0
                columns[i].withUnsafeBufferPointer { a in
                    columns[j].withUnsafeBufferPointer { b in
                        if let weights {
                            weights.withUnsafeBufferPointer { w in
                                for row in a.indices { sum += w[row] * a[row] * b[row] }
                            }
                        } else {
                            for row in a.indices { sum += a[row] * b[row] }
                        }
                    }
                }
                result[i, j] = sum
                result[j, i] = sum
            }
        }
        return result
    }

    /// X'y.
    public static func crossProduct(_ columns: [[Double]], _ vector: [Double]) -> [Double] {
        columns.map { column in zip(column, vector).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The product of this matrix and `other`.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.columns == rhs.rows, "matrix sizes do not match")
        var result = Matrix(rows: lhs.rows, columns: rhs.columns)
        for i in 0..<lhs.rows {
            for k in 0..<lhs.columns {
                let a = lhs[i, k]
                if a == 0 { continue }
                for j in 0..<rhs.columns { result[i, j] += a * rhs[k, j] }
            }
        }
        return result
    }

    /// This matrix scaled by `factor`.
    public static func * (factor: Double, matrix: Matrix) -> Matrix {
        var result = matrix
        for index in result.values.indices { result.values[index] *= factor }
        return result
    }

    /// The diagonal.
    public var diagonal: [Double] { (0..<min(rows, columns)).map { self[$0, $0] } }

    /// The transpose.
    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { result[j, i] = self[i, j] } }
        return result
    }

    /// What least squares of `target` on `columns` leaves: target − X(X'X)⁻¹X'target (the
    /// target itself with no columns); a collinear column is dropped as `Cholesky` drops it.
    public static func residual(of target: [Double], on columns: [[Double]]) -> [Double] {
        guard !columns.isEmpty else { return target }
        var left = target
        let solution = Cholesky(gram(columns)).solve(crossProduct(columns, target))
        for (column, b) in zip(columns, solution) { for i in left.indices { left[i] -= column[i] * b } }
        return left
    }
}
