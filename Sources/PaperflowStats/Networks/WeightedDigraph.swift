/// A directed graph with positive edge weights on nodes 0..<n: the shape of shen-2025's
/// branch-office and patent networks (a firm in A with a branch in B is an edge A → B weighted by
/// the number of branches, or their employees).
public struct WeightedDigraph: Sendable, Equatable {
    /// An edge to `node` with `weight`.
    public struct Arc: Sendable, Equatable {
        public var node: Int
        public var weight: Double
    }

    /// The number of nodes.
    public let nodeCount: Int
    /// Each node's out-arcs, by target ascending.
    public let outgoing: [[Arc]]
    /// Each node's in-arcs, by source ascending.
    public let incoming: [[Arc]]

    /// A graph of `nodeCount` nodes; parallel edges are merged, their weights summed.
    /// - Precondition: nodes in range; self-loops are the caller's choice (kept as given).
    public init(nodeCount: Int, edges: [(from: Int, to: Int, weight: Double)]) {
        var merged = [[Int: Double]](repeating: [:], count: nodeCount)
        for edge in edges {
            precondition(edge.from >= 0 && edge.from < nodeCount && edge.to >= 0 && edge.to < nodeCount, "edge outside the graph")
            merged[edge.from][edge.to, default: 0] += edge.weight
        }
        self.nodeCount = nodeCount
        outgoing = merged.map { targets in targets.keys.sorted().map { Arc(node: $0, weight: targets[$0]!) } }
        var incoming = [[Arc]](repeating: [], count: nodeCount)
        for (source, arcs) in outgoing.enumerated() {
            for arc in arcs { incoming[arc.node].append(Arc(node: source, weight: arc.weight)) }
        }
        self.incoming = incoming
    }

    /// The number of edges (after merging).
    public var edgeCount: Int { outgoing.reduce(0) { $0 + $1.count } }

    /// Out-degree, in-degree, out-strength and in-strength of each node (networkx's
    /// `out_degree`, `in_degree`, and the same with `weight="weight"`).
    public var degrees: (outDegree: [Int], inDegree: [Int], outStrength: [Double], inStrength: [Double]) {
        (outgoing.map(\.count), incoming.map(\.count), outgoing.map { $0.reduce(0) { $0 + $1.weight } },
         incoming.map { $0.reduce(0) { $0 + $1.weight } })
    }

    /// The symmetric tie strength w_ij + w_ji of every pair, diagonal zero: the undirected view
    /// a core–periphery fit takes.
    public var symmetrizedMatrix: [[Double]] {
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: nodeCount), count: nodeCount)
        for (source, arcs) in outgoing.enumerated() {
            for arc in arcs where arc.node != source {
                matrix[source][arc.node] += arc.weight
                matrix[arc.node][source] += arc.weight
            }
        }
        return matrix
    }
}
