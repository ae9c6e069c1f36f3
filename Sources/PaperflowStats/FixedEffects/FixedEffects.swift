/// Fixed effects to absorb: one array of dense level codes (`0..<levels`) per dimension.
///
/// Variables are demeaned by alternating projections (the method of reghdfe and fixest's
/// demeaning): subtract each dimension's group means in turn until a sweep changes no value by
/// more than `tolerance`. The regression on demeaned variables gives the slopes of the model
/// with all the dummies (Frisch–Waugh–Lovell).
public struct FixedEffects: Sendable {
    public let dimensions: [[Int]]
    public let levels: [Int]
    public let rows: Int

    /// - Precondition: every dimension has the same length and codes in `0..<levels`.
    public init(_ dimensions: [[Int]]) {
        self.dimensions = dimensions
        levels = dimensions.map { ($0.max() ?? -1) + 1 }
        rows = dimensions.first?.count ?? 0
    }

    /// The rank of the dummy block: all levels, less one per extra dimension for each connected
    /// component the first two dimensions form (exact for one and two dimensions; for more, each
    /// further dimension is assumed connected to the rest).
    public var rank: Int {
        guard dimensions.count > 1 else { return levels.first ?? 0 }
        return levels.reduce(0, +) - components - (dimensions.count - 2)
    }

    /// Connected components of the bipartite graph of the first two dimensions' levels.
    private var components: Int {
        // Connected components of the bipartite graph of the first two dimensions.
        var parent = Array(0..<(levels[0] + levels[1]))
        func find(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        for row in 0..<rows {
            let a = find(dimensions[0][row]), b = find(levels[0] + dimensions[1][row])
            if a != b { parent[a] = b }
        }
        return Set((0..<parent.count).map(find)).count
    }

    /// Whether every level of dimension `dimension` lies within one cluster.
    public func isNested(_ dimension: Int, in clusters: [Int]) -> Bool {
        var clusterOfLevel = Array(repeating: -1, count: levels[dimension])
        for row in 0..<rows {
            let level = dimensions[dimension][row]
            if clusterOfLevel[level] < 0 { clusterOfLevel[level] = clusters[row] } else if clusterOfLevel[level] != clusters[row] { return false }
        }
        return true
    }

    /// `values` with every dimension's group means removed; `converged` is false when
    /// `maxSweeps` sweeps did not bring the change under `tolerance` (relative to the values).
    public func demean(_ values: [Double], tolerance: Double = 1e-13, maxSweeps: Int = 10_000)
        -> (values: [Double], sweeps: Int, converged: Bool) {
        var result = values
        var sums = levels.map { Array(repeating: 0.0, count: $0) }
        let counts = zip(dimensions, levels).map { codes, levels in
            codes.reduce(into: Array(repeating: 0.0, count: levels)) { $0[$1] += 1 }
        }
        let scale = max(values.lazy.map(abs).max() ?? 0, 1)
        for sweep in 1...maxSweeps {
            var largestChange = 0.0
            for (dimension, codes) in dimensions.enumerated() {
                for level in sums[dimension].indices { sums[dimension][level] = 0 }
                for row in 0..<rows { sums[dimension][codes[row]] += result[row] }
                for row in 0..<rows {
                    let mean = sums[dimension][codes[row]] / counts[dimension][codes[row]]
                    result[row] -= mean
                    largestChange = max(largestChange, abs(mean))
                }
            }
            if largestChange <= tolerance * scale { return (result, sweep, true) }
        }
        return (result, maxSweeps, false)
    }
}
