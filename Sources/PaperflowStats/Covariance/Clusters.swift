/// Cluster membership as dense codes `0..<count`, whatever codes the caller used.
public struct Clusters: Sendable, Equatable {
    public let codes: [Int32]
    public let count: Int

    /// Clusters from one code per observation (any integers; equal codes share a cluster).
    public init(_ raw: [Int]) {
        var index: [Int: Int32] = [:]
        var codes: [Int32] = []
        codes.reserveCapacity(raw.count)
        if let low = raw.min(), let high = raw.max(), low >= 0, high < 4 * raw.count + 1024 {
            // Small non-negative codes: an array, not a hash table.
            var slot = Array(repeating: Int32(-1), count: high + 1)
            var next: Int32 = 0
            for value in raw {
                if slot[value] < 0 { slot[value] = next; next += 1 }
                codes.append(slot[value])
            }
            self.codes = codes
            count = Int(next)
            return
        }
        for value in raw {
            if let code = index[value] { codes.append(code) } else {
                let code = Int32(index.count)
                index[value] = code
                codes.append(code)
            }
        }
        self.codes = codes
        count = index.count
    }

    /// The clusters of observations that share both a `first` and a `second` cluster (the
    /// intersection term of a two-way clustered covariance).
    public init(intersecting first: Clusters, _ second: Clusters) {
        self.init(zip(first.codes, second.codes).map { Int($0) * second.count + Int($1) })
    }

    /// Each observation its own cluster (heteroskedasticity-robust covariance).
    public init(singletons rows: Int) {
        codes = (0..<rows).map { Int32($0) }
        count = rows
    }

    /// The meat of a sandwich: Σ over clusters of s_g s_g', where s_g sums `weights[i]·x_i` over
    /// the cluster's observations and `columns` hold the regressors x (one array per column).
    public func meat(columns: [[Double]], weights: [Double]) -> Matrix {
        let k = columns.count
        var sums = Array(repeating: 0.0, count: count * k)
        sums.withUnsafeMutableBufferPointer { sums in
            codes.withUnsafeBufferPointer { codes in
                weights.withUnsafeBufferPointer { weights in
                    for (column, values) in columns.enumerated() {
                        values.withUnsafeBufferPointer { values in
                            for row in 0..<codes.count { sums[Int(codes[row]) * k + column] += values[row] * weights[row] }
                        }
                    }
                }
            }
        }
        var meat = Matrix(rows: k, columns: k)
        meat.values.withUnsafeMutableBufferPointer { meat in
            for group in 0..<count {
                let base = group * k
                for i in 0..<k {
                    let si = sums[base + i]
                    for j in i..<k { meat[i * k + j] += si * sums[base + j] }
                }
            }
            for i in 0..<k { for j in 0..<i { meat[i * k + j] = meat[j * k + i] } }
        }
        return meat
    }
}
