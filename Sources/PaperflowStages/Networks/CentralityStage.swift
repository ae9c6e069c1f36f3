import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `networks.centrality`: per node, degree and strength (in, out, total), betweenness by hops and
/// by distance 1/weight (Brandes; normalised by (n − 1)(n − 2)) and weighted in-edge eigenvector
/// centrality — networkx's definitions, matched to 1e-9 in the tests (Tests/Fixtures/networks).
public struct CentralityStage: Stage {
    public static let id = "networks.centrality"
    public static let version = 1
    static let measures = ["in_degree", "out_degree", "degree", "in_strength", "out_strength", "strength",
                           "betweenness", "betweenness_weighted", "eigenvector"]
    public static let signature = StageSignature(
        summary: "Degree, strength, betweenness and eigenvector centrality of every node (networkx's conventions).",
        documentation: """
            betweenness counts steps; betweenness_weighted takes an edge of weight w as length
            1/w (a strong tie is short). eigenvector: x_v ∝ Σ_{u→v} w_uv x_u, unit norm
            (networkx eigenvector_centrality on a DiGraph). sort_by ranks the rows by one measure,
            largest first, and adds a rank column.
            """,
        inputs: [PortSpec("nodes", kind: .table, summary: "networks.build's nodes"),
                 PortSpec("edges", kind: .table, summary: "networks.build's edges")],
        outputs: [PortSpec("table", kind: .table, fileName: "centrality.pftable", summary: "node, attributes and the measures")],
        params: [ParamSpec("sort_by", .oneOf([""] + measures), default: .string(""), summary: "rank by this measure (default: node order)")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let network = try NetworkInput(context)
        let graph = network.graph
        let (outDegree, inDegree, outStrength, inStrength) = graph.degrees
        let eigenvector: [Double]
        do { eigenvector = try Centrality.eigenvector(graph) } catch let failure as EstimationFailure {
            throw StageFailure(failure.message)
        }
        let values: [String: [Double]] = [
            "in_degree": inDegree.map(Double.init), "out_degree": outDegree.map(Double.init),
            "degree": zip(inDegree, outDegree).map { Double($0 + $1) },
            "in_strength": inStrength, "out_strength": outStrength, "strength": zip(inStrength, outStrength).map(+),
            "betweenness": Centrality.betweenness(graph), "betweenness_weighted": Centrality.betweenness(graph, distance: .inverseWeight),
            "eigenvector": eigenvector,
        ]
        var table = network.nodes
        for measure in Self.measures {
            let column = measure.hasSuffix("degree") ? Column(int64: values[measure]!.map { Int64($0) }) : Column(double: values[measure]!)
            table = try table.adding(measure, column)
        }
        if let key = context.string("sort_by"), !key.isEmpty {
            let order = values[key]!.indices.sorted { values[key]![$0] != values[key]![$1] ? values[key]![$0] > values[key]![$1] : $0 < $1 }
            table = try table.take(order).adding("rank", Column(int64: order.indices.map { Int64($0 + 1) }))
        }
        return ["table": table.artifact]
    }
}

/// `networks.core-periphery`: Borgatti–Everett continuous coreness and the best discrete core on
/// the symmetrised tie strengths (w_ij + w_ji) — shen-2025's single core at city level and tiers
/// at district level.
public struct CorePeripheryStage: Stage {
    public static let id = "networks.core-periphery"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Borgatti–Everett core–periphery: continuous coreness and the best discrete core.",
        documentation: """
            Ties are symmetrised (w_ij + w_ji). Coreness fits a_ij ≈ c_i c_j off the diagonal by
            least squares (UCINET's minres), unit norm. The core is the top k by coreness whose
            ideal pattern (core–core ties, no periphery–periphery ties; core–periphery pairs not
            scored, UCINET's default) correlates best with the ties.
            """,
        inputs: [PortSpec("nodes", kind: .table, summary: "networks.build's nodes"),
                 PortSpec("edges", kind: .table, summary: "networks.build's edges")],
        outputs: [PortSpec("table", kind: .table, fileName: "core.pftable", summary: "node, attributes, coreness, core"),
                  PortSpec("fit", kind: .json, fileName: "core.json", summary: "fit correlations and the core's members")],
        params: []
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let network = try NetworkInput(context)
        let model: CorePeriphery
        do { model = try CorePeriphery(network.graph.symmetrizedMatrix) } catch let failure as EstimationFailure {
            throw StageFailure(failure.message)
        }
        let table = try network.nodes.adding("coreness", Column(double: model.coreness)).adding("core", Column(bool: model.core))
        let fit: ParamValue = .map([
            "continuous_correlation": .double(model.continuousFit), "discrete_correlation": .double(model.discreteFit),
            "iterations": .int(Int64(model.iterations)),
            "core": .list(network.names.indices.filter { model.core[$0] }.map { .string(network.names[$0]) }),
        ])
        return ["table": table.artifact, "fit": .bytes(Data(JSONText.pretty(fit)))]
    }
}
