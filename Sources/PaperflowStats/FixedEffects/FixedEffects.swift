import Dispatch

/// Fixed effects to absorb: one array of dense level codes (`0..<levels`) per dimension.
///
/// Variables are demeaned by alternating projections (the method of reghdfe and fixest's
/// demeaning): subtract each dimension's group means in turn until a sweep changes no value by
/// more than `tolerance`. The regression on demeaned variables gives the slopes of the model
/// with all the dummies (Frisch–Waugh–Lovell). Sweeps are accelerated as fixest's are (Irons and
/// Tuck 1969, the extrapolation fixest applies to its fixed-point iterations; Berge 2018), which
/// turns the hundreds of sweeps firm × product × year panels need into tens.
public struct FixedEffects: Sendable {
    public let dimensions: [[Int]]
    public let levels: [Int]
    public let rows: Int
    /// The codes as 32-bit integers and the reciprocal of each level's size: the sweeps read
    /// these, half the memory traffic of `Int`.
    private let codes: [[Int32]]
    private let inverseCounts: [[Double]]

    /// - Precondition: every dimension has the same length and codes in `0..<levels`.
    public init(_ dimensions: [[Int]]) {
        self.dimensions = dimensions
        levels = dimensions.map { ($0.max() ?? -1) + 1 }
        rows = dimensions.first?.count ?? 0
        codes = dimensions.map { $0.map { Int32($0) } }
        inverseCounts = zip(dimensions, levels).map { codes, levels in
            var counts = Array(repeating: 0.0, count: levels)
            for code in codes { counts[code] += 1 }
            return counts.map { $0 > 0 ? 1 / $0 : 0 }
        }
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

    /// The first dimension within whose every level `values` is constant (a regressor that
    /// dimension absorbs), or nil.
    public func dimension(holdingConstant values: [Double]) -> Int? {
        dimensions.indices.first { dimension in
            var first = [Double?](repeating: nil, count: levels[dimension])
            for (row, code) in dimensions[dimension].enumerated() {
                if let value = first[code] { if value != values[row] { return false } } else { first[code] = values[row] }
            }
            return true
        }
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

    /// The outcome of demeaning one variable.
    public struct Demeaned: Sendable {
        public init(values: [Double], sweeps: Int, converged: Bool) {
            self.values = values
            self.sweeps = sweeps
            self.converged = converged
        }

        public var values: [Double]
        /// Full sweeps over every dimension, extrapolation steps not counted.
        public var sweeps: Int
        /// False when `maxSweeps` sweeps did not bring the change under the tolerance.
        public var converged: Bool
    }

    /// `values` with every dimension's group means removed; converged once a sweep changes no
    /// value by more than `tolerance` times the largest absolute value. With `weights`, the means
    /// are weighted (the projection a weighted least squares or an IRLS step absorbs).
    public func demean(_ values: [Double], weights: Weights? = nil, tolerance: Double = 1e-13, maxSweeps: Int = 10_000) -> Demeaned {
        var current = values
        let (sweeps, converged) = demean(inPlace: &current, weights ?? unweighted, tolerance: tolerance, maxSweeps: maxSweeps)
        return Demeaned(values: current, sweeps: sweeps, converged: converged)
    }

    /// Demeans each of `columns`, in parallel.
    public func demean(columns: [[Double]], weights: Weights? = nil, tolerance: Double = 1e-13, maxSweeps: Int = 10_000) -> [Demeaned] {
        var values = columns
        let outcomes = demean(inPlace: &values, weights: weights, tolerance: tolerance, maxSweeps: maxSweeps)
        return zip(values, outcomes).map { Demeaned(values: $0, sweeps: $1.sweeps, converged: $1.converged) }
    }

    /// Demeans each of `columns` in place, in parallel: a column this array holds the only
    /// reference to is not copied (an IRLS step demeans the last step's results again), and
    /// each column's two work arrays are its only allocations.
    public func demean(inPlace columns: inout [[Double]], weights: Weights? = nil, tolerance: Double = 1e-13,
                       maxSweeps: Int = 10_000) -> [(sweeps: Int, converged: Bool)] {
        let count = columns.count
        // Move the columns into a buffer, so that each task takes its column out with a
        // reference count of one and sweeps it where it lies.
        let slots = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: count)
        _ = slots.initialize(from: columns)
        columns = []
        let outcomes = UnsafeMutableBufferPointer<(sweeps: Int, converged: Bool)>.allocate(capacity: count)
        outcomes.initialize(repeating: (0, true))
        defer { outcomes.deallocate() }
        let shared = UncheckedSendable((slots, outcomes))
        let weighting = weights ?? unweighted
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let (slots, outcomes) = shared.value
            var column = (slots.baseAddress! + index).move()
            outcomes[index] = demean(inPlace: &column, weighting, tolerance: tolerance, maxSweeps: maxSweeps)
            (slots.baseAddress! + index).initialize(to: column)
        }
        columns = Array(slots)
        _ = slots.deinitialize()
        slots.deallocate()
        return Array(outcomes)
    }

    private func demean(inPlace current: inout [Double], _ weighting: Weights, tolerance: Double, maxSweeps: Int) -> (sweeps: Int, converged: Bool) {
        guard !dimensions.isEmpty, rows > 0 else { return (0, true) }
        let scale = max(current.lazy.map(abs).max() ?? 0, 1)
        if dimensions.count == 1 {
            // One dimension: one sweep is exact.
            _ = sweep(&current, weighting)
            return (1, true)
        }
        // Work arrays, filled before they are read: no need to zero them.
        var once = [Double](unsafeUninitializedCapacity: rows) { _, count in count = rows }
        var twice = [Double](unsafeUninitializedCapacity: rows) { _, count in count = rows }
        var sweeps = 0
        while sweeps < maxSweeps {
            // X₁ = F(X₀), X₂ = F(X₁), then X₀ ← X₂ − (Δ₂·Δ²)/(Δ²·Δ²)·Δ₂, with Δ₂ = X₂ − X₁ and
            // Δ² = X₂ − 2X₁ + X₀: the Irons–Tuck step, which stays on y + span(dummies).
            if sweep(from: current, into: &once, weighting) <= tolerance * scale {
                swap(&current, &once)
                return (sweeps + 1, true)
            }
            let change = sweep(from: once, into: &twice, weighting)
            sweeps += 2
            if change <= tolerance * scale {
                swap(&current, &twice)
                return (sweeps, true)
            }
            extrapolate(&current, once, twice)
        }
        return (sweeps, false)
    }

    /// Observation weights for a weighted demeaning, with each level's total weight: build once
    /// per set of weights, use for every column.
    public struct Weights: Sendable {
        let values: [Double]?
        let inverseSums: [[Double]]
    }

    /// `weights` (one per row, positive) prepared for `demean`.
    public func weights(_ weights: [Double]) -> Weights {
        precondition(dimensions.isEmpty || weights.count == rows, "one weight per row")
        let inverseSums = zip(codes, levels).map { codes, levels in
            var sums = Array(repeating: 0.0, count: levels)
            for (code, weight) in zip(codes, weights) { sums[Int(code)] += weight }
            return sums.map { $0 > 0 ? 1 / $0 : 0 }
        }
        return Weights(values: weights, inverseSums: inverseSums)
    }

    private var unweighted: Weights { Weights(values: nil, inverseSums: inverseCounts) }

    /// The fixed effects of the rows `kept`, levels without rows removed and the rest renumbered
    /// in their order.
    public func subset(_ kept: [Int]) -> FixedEffects {
        FixedEffects(zip(dimensions, levels).map { codes, levels in
            var slot = [Int](repeating: -1, count: levels)
            for row in kept { slot[codes[row]] = 0 }
            var next = 0
            for level in 0..<levels where slot[level] == 0 { slot[level] = next; next += 1 }
            return kept.map { slot[codes[$0]] }
        })
    }

    private func extrapolate(_ current: inout [Double], _ once: [Double], _ twice: [Double]) {
        var numerator = 0.0, denominator = 0.0
        current.withUnsafeMutableBufferPointer { x0 in
            once.withUnsafeBufferPointer { x1 in
                twice.withUnsafeBufferPointer { x2 in
                    for row in 0..<rows {
                        let step = x2[row] - x1[row], curvature = step - (x1[row] - x0[row])
                        numerator += step * curvature
                        denominator += curvature * curvature
                    }
                    let factor = denominator > 0 ? numerator / denominator : 0
                    for row in 0..<rows { x0[row] = x2[row] - factor * (x2[row] - x1[row]) }
                }
            }
        }
    }

    /// One sweep: each dimension's (weighted) group means subtracted in turn. Subtracting one
    /// dimension's means and summing the next one's share a pass over the rows. Returns the
    /// largest mean subtracted.
    @discardableResult
    /// One sweep in place (each row is read before it is written, so source and target may be
    /// the same memory).
    private func sweep(_ values: inout [Double], _ weighting: Weights) -> Double {
        var largest = 0.0
        var sums = levels.map { Array(repeating: 0.0, count: $0) }
        let weightValues = weighting.values ?? []
        values.withUnsafeMutableBufferPointer { values in
            weightValues.withUnsafeBufferPointer { weights in
                sweep(UnsafeBufferPointer(values), values, weights, weighting.values != nil, weighting, &sums, &largest)
            }
        }
        return largest
    }

    /// One sweep reading `source` and writing `target` (the first dimension's means are taken
    /// from the source and subtracted from it into the target, so no copy precedes a sweep).
    private func sweep(from source: [Double], into target: inout [Double], _ weighting: Weights) -> Double {
        var largest = 0.0
        var sums = levels.map { Array(repeating: 0.0, count: $0) }
        let weightValues = weighting.values ?? []
        let weighted = weighting.values != nil
        if target.count != rows { target = [Double](repeating: 0, count: rows) }
        source.withUnsafeBufferPointer { source in
            target.withUnsafeMutableBufferPointer { values in
                weightValues.withUnsafeBufferPointer { weights in
                    sweep(source, values, weights, weighted, weighting, &sums, &largest)
                }
            }
        }
        return largest
    }

    private func sweep(_ source: UnsafeBufferPointer<Double>, _ values: UnsafeMutableBufferPointer<Double>, _ weights: UnsafeBufferPointer<Double>,
                       _ weighted: Bool, _ weighting: Weights, _ sums: inout [[Double]], _ largest: inout Double) {
        codes[0].withUnsafeBufferPointer { first in
            sums[0].withUnsafeMutableBufferPointer { sums in
                if weighted {
                    for row in 0..<rows { sums[Int(first[row])] += weights[row] * source[row] }
                } else {
                    for row in 0..<rows { sums[Int(first[row])] += source[row] }
                }
            }
        }
        for dimension in dimensions.indices {
            // Means of this dimension (sums are complete), then subtract them while summing
            // the next dimension.
            for level in 0..<levels[dimension] {
                sums[dimension][level] *= weighting.inverseSums[dimension][level]
                largest = max(largest, abs(sums[dimension][level]))
            }
            let next = dimension + 1
            // The first dimension subtracts from the source; the others from the target.
            let input = dimension == 0 ? source : UnsafeBufferPointer(values)
            codes[dimension].withUnsafeBufferPointer { here in
                sums[dimension].withUnsafeBufferPointer { means in
                    if next < dimensions.count {
                        codes[next].withUnsafeBufferPointer { there in
                            sums[next].withUnsafeMutableBufferPointer { nextSums in
                                if weighted {
                                    for row in 0..<rows {
                                        let value = input[row] - means[Int(here[row])]
                                        values[row] = value
                                        nextSums[Int(there[row])] += weights[row] * value
                                    }
                                } else {
                                    for row in 0..<rows {
                                        let value = input[row] - means[Int(here[row])]
                                        values[row] = value
                                        nextSums[Int(there[row])] += value
                                    }
                                }
                            }
                        }
                    } else {
                        for row in 0..<rows { values[row] = input[row] - means[Int(here[row])] }
                    }
                }
            }
        }
    }
}
