import Foundation

/// Node centralities of a weighted directed graph, following networkx's definitions and
/// conventions (cross-checked against networkx 3.6 in Tests/Fixtures/networks).
public enum Centrality {
    /// What a path's length counts.
    public enum Distance: Sendable {
        /// Each edge is one step (networkx `weight=None`).
        case hops
        /// An edge of weight w has length 1/w: a strong tie is a short one (networkx with a
        /// `distance = 1/weight` attribute).
        case inverseWeight
    }

    /// Betweenness centrality by Brandes' algorithm (2001): for each node, the share of shortest
    /// paths between other pairs that pass through it, normalised by (n − 1)(n − 2) as networkx
    /// does for directed graphs. Self-loops never lie on a shortest path.
    ///
    /// Path lengths are summed from the source in path order and compared exactly, as networkx's
    /// Dijkstra does, so ties (e.g. 1/4 + 1/4 = 1/2) are found the same way. Sources run in parallel.
    public static func betweenness(_ graph: WeightedDigraph, distance: Distance = .hops, normalized: Bool = true) -> [Double] {
        let n = graph.nodeCount
        guard n > 0 else { return [] }
        // Each chunk of sources sums into its own row; the rows are added up afterwards in chunk
        // order. A fixed number of chunks keeps the sums, and so the bytes, the same on any machine.
        let chunks = min(n, 16)
        let partials = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: chunks)
        partials.initialize(repeating: [])
        defer { partials.deinitialize().deallocate() }
        let shared = UncheckedSendable(partials)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var total = [Double](repeating: 0, count: n)
            for source in stride(from: chunk, to: n, by: chunks) {
                accumulate(graph, from: source, distance: distance, into: &total)
            }
            shared.value[chunk] = total
        }
        var result = [Double](repeating: 0, count: n)
        for partial in partials {
            for node in 0..<n { result[node] += partial[node] }
        }
        if normalized, n > 2 {
            let scale = 1 / (Double(n - 1) * Double(n - 2))
            result = result.map { $0 * scale }
        }
        return result
    }

    /// One source's single-source shortest paths and dependency accumulation (Brandes 2001).
    static func accumulate(_ graph: WeightedDigraph, from source: Int, distance: Distance, into total: inout [Double]) {
        let n = graph.nodeCount
        var order: [Int] = []                       // nodes by non-decreasing distance
        var predecessors = [[Int]](repeating: [], count: n)
        var paths = [Double](repeating: 0, count: n)
        var length = [Double](repeating: .infinity, count: n)
        paths[source] = 1
        length[source] = 0
        switch distance {
        case .hops:
            var queue = [source], head = 0
            while head < queue.count {
                let v = queue[head]
                head += 1
                order.append(v)
                for arc in graph.outgoing[v] where arc.node != v {
                    let w = arc.node
                    if length[w] == .infinity {
                        length[w] = length[v] + 1
                        queue.append(w)
                    }
                    if length[w] == length[v] + 1 {
                        paths[w] += paths[v]
                        predecessors[w].append(v)
                    }
                }
            }
        case .inverseWeight:
            var done = [Bool](repeating: false, count: n)
            var heap = MinHeap()
            heap.push(0, source, from: source)
            var seen = length
            while let (d, v, from) = heap.pop() {
                if done[v] { continue }
                if v != source {
                    paths[v] += paths[from]
                    predecessors[v].append(from)
                }
                done[v] = true
                length[v] = d
                order.append(v)
                for arc in graph.outgoing[v] where arc.node != v {
                    let w = arc.node, candidate = d + 1 / arc.weight
                    if !done[w], candidate < seen[w] {
                        seen[w] = candidate
                        heap.push(candidate, w, from: v)
                        paths[w] = 0
                        predecessors[w] = []
                    } else if !done[w], candidate == seen[w] {
                        paths[w] += paths[v]
                        predecessors[w].append(v)
                    }
                }
            }
        }
        var dependency = [Double](repeating: 0, count: n)
        for w in order.reversed() {
            for v in predecessors[w] { dependency[v] += paths[v] / paths[w] * (1 + dependency[w]) }
            if w != source { total[w] += dependency[w] }
        }
    }

    /// Eigenvector centrality over in-edges, weighted: x_v ∝ Σ_{u→v} w_uv x_u, unit Euclidean norm,
    /// by networkx's iteration x ← (Aᵀ + I) x from the uniform vector (the shift makes it converge
    /// on bipartite and periodic graphs), to Σ|Δx| < n · tolerance.
    /// - Throws: `EstimationFailure` when it has not converged after `maxIterations`.
    public static func eigenvector(_ graph: WeightedDigraph, tolerance: Double = 1e-14, maxIterations: Int = 100_000) throws -> [Double] {
        let n = graph.nodeCount
        guard n > 0 else { return [] }
        var x = [Double](repeating: 1 / Double(n), count: n)
        for _ in 0..<maxIterations {
            var next = x
            for (u, arcs) in graph.outgoing.enumerated() {
                for arc in arcs { next[arc.node] += x[u] * arc.weight }
            }
            // Weights are non-negative and x starts positive, so the norm is positive.
            let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            next = next.map { $0 / norm }
            let change = zip(next, x).reduce(0) { $0 + abs($1.0 - $1.1) }
            x = next
            if change < Double(n) * tolerance { return x }
        }
        throw EstimationFailure(message: "eigenvector centrality did not converge in \(maxIterations) iterations")
    }
}

/// A binary min-heap of (distance, node, predecessor), ties broken by insertion order as Python's
/// heapq with networkx's counter.
struct MinHeap {
    private var items: [(distance: Double, sequence: Int, node: Int, from: Int)] = []
    private var counter = 0

    mutating func push(_ distance: Double, _ node: Int, from: Int) {
        items.append((distance, counter, node, from))
        counter += 1
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Double, Int, Int)? {
        guard let first = items.first else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, less(left, smallest) { smallest = left }
            if right < items.count, less(right, smallest) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return (first.distance, first.node, first.from)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (items[a].distance, items[a].sequence) < (items[b].distance, items[b].sequence)
    }
}
