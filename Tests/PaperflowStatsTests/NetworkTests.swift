import Foundation
import PaperflowStats
import Testing

@Suite("Networks")
struct NetworkTests {
    @Test("continuous coreness recovers u exactly when a_ij = u_i u_j off the diagonal")
    func rankOne() throws {
        let u = [3.0, 2.5, 1.0, 0.8, 0.5, 0.4, 0.2]
        let matrix = u.indices.map { i in u.indices.map { j in i == j ? 99 : u[i] * u[j] } }  // the diagonal is ignored
        let model = try CorePeriphery(matrix)
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (c, value) in zip(model.coreness, u) { #expect(abs(c - value / norm) < 1e-12) }
        #expect(abs(model.continuousFit - 1) < 1e-12)
    }

    @Test("the discrete split finds a planted core: core–core ties, none among the periphery, correlation 1")
    func plantedCore() throws {
        // Nodes 2, 4, 5 and 7 form the core; each periphery node ties to two core nodes.
        let core: Set = [2, 4, 5, 7], n = 10
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in core { for j in core where i != j { matrix[i][j] = 1 } }
        for (index, p) in (0..<n).filter({ !core.contains($0) }).enumerated() {
            for c in [Array(core.sorted())[index % 4], Array(core.sorted())[(index + 1) % 4]] { matrix[p][c] = 1; matrix[c][p] = 1 }
        }
        let model = try CorePeriphery(matrix)
        #expect(Set((0..<n).filter { model.core[$0] }) == core)
        #expect(abs(model.discreteFit - 1) < 1e-12)
        #expect((0..<n).allSatisfy { core.contains($0) || model.coreness[$0] < core.map { model.coreness[$0] }.min()! })
    }

    @Test("a star: the hub has all the betweenness (normalised by (n − 1)(n − 2)), leaves none")
    func star() {
        // Both directions between the hub 0 and four leaves: 4·3 leaf pairs, each through the hub.
        let edges = (1...4).flatMap { [(from: 0, to: $0, weight: 1.0), (from: $0, to: 0, weight: 1.0)] }
        let graph = WeightedDigraph(nodeCount: 5, edges: edges)
        #expect(Centrality.betweenness(graph) == [1, 0, 0, 0, 0])
        #expect(Centrality.betweenness(graph, distance: .inverseWeight) == [1, 0, 0, 0, 0])
        #expect(Centrality.betweenness(graph, normalized: false) == [12, 0, 0, 0, 0])
    }

    @Test("core–periphery refuses too few nodes and no ties; eigenvector centrality of an edgeless graph is uniform")
    func failures() throws {
        #expect(throws: EstimationFailure(message: "a core–periphery fit needs at least 3 nodes; there are 2")) { try CorePeriphery([[0, 1], [1, 0]]) }
        #expect(throws: EstimationFailure(message: "a core–periphery fit needs ties; the network has none")) {
            try CorePeriphery([[Double]](repeating: [0, 0, 0], count: 3))
        }
        // Without edges every node keeps its share, as networkx's iteration gives.
        #expect(try Centrality.eigenvector(WeightedDigraph(nodeCount: 4, edges: [])) == [0.5, 0.5, 0.5, 0.5])
    }
}
