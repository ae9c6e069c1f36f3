import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `networks.build`: a weighted directed graph from link records — shen-2025's branch offices
/// (a firm headquartered in A with a branch in B is a link A → B) or patent co-applications, at
/// whatever level the chosen columns name (city or district).
///
/// The graph artifact is two tables: `nodes` (one row per place, the nodes table's other columns
/// kept, so isolated places stay in the network) and `edges` (source, target, weight; parallel
/// links summed, sorted by source then target).
public struct NetworkBuildStage: Stage {
    public static let id = "networks.build"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Weighted directed graph (nodes and edges tables) from link records, at city or district level.",
        documentation: """
            weight: the column summed over a pair's records (empty: count the records).
            self_loops: drop (default; a branch in the headquarters' own city is not a link
            between places) or keep. With a nodes table, every endpoint must be one of its nodes
            (a misspelt place is an error naming the record's row), and nodes without links are kept.
            """,
        inputs: [PortSpec("records", kind: .table, summary: "one row per link record"),
                 PortSpec("nodes", kind: .table, optional: true, summary: "every place, with attributes (e.g. tier, region)")],
        outputs: [PortSpec("nodes", kind: .table, fileName: "nodes.pftable", summary: "node and attributes"),
                  PortSpec("edges", kind: .table, fileName: "edges.pftable", summary: "source, target, weight")],
        params: [
            ParamSpec("from", .string, required: true, summary: "column: the link's origin (e.g. hq_city)"),
            ParamSpec("to", .string, required: true, summary: "column: the link's destination (e.g. branch_city)"),
            ParamSpec("weight", .string, default: .string(""), summary: "column summed per pair (empty: count records)"),
            ParamSpec("self_loops", .oneOf(["drop", "keep"]), default: .string("drop"), summary: "links within one place"),
            ParamSpec("node_column", .string, default: .string("node"), summary: "the nodes table's name column"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let records = try context.table("records")
        let from = try records.column(context.string("from")!, for: "from"), to = try records.column(context.string("to")!, for: "to")
        let weightName = context.string("weight")!
        var weights = [Double](repeating: 1, count: records.rowCount)
        if !weightName.isEmpty { weights = try records.numbers(weightName, for: "weight") }
        // Node names: the nodes table's, in its order, or the endpoints' in ascending order.
        var names: [String] = []
        var nodeTable: Table
        if context.inputs["nodes"]?.isEmpty == false {
            nodeTable = try context.table("nodes")
            let column = context.string("node_column")!
            names = try nodeTable.column(column, for: "node_column").values.enumerated().map { row, value in
                guard case let .string(name) = value else {
                    throw StageFailure("the nodes table's row \(row + 1) has no \(column); every node needs a name")
                }
                return name
            }
            if column != "node" { nodeTable = try nodeTable.renaming([column: "node"]) }
        } else {
            names = Set((0..<records.rowCount).flatMap { [from[$0], to[$0]] }.compactMap(Self.name)).sorted()
            nodeTable = try Table([("node", Column(string: names))])
        }
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() {
            guard index.updateValue(position, forKey: name) == nil else { throw StageFailure("node '\(name)' is listed twice in the nodes table") }
        }
        let dropLoops = context.string("self_loops") == "drop"
        var pairs: [Int: Double] = [:]   // source * n + target → weight
        for row in 0..<records.rowCount {
            var ends: [Int] = []
            for (column, parameter) in [(from, "from"), (to, "to")] {
                guard let name = Self.name(column[row]) else {
                    throw StageFailure("record row \(row + 1) has no \(context.string(parameter)!); fill it in or filter the row out first")
                }
                guard let node = index[name] else {
                    throw StageFailure("record row \(row + 1): \(context.string(parameter)!) '\(name)' is not a node of the nodes table; fix the name or add the place")
                }
                ends.append(node)
            }
            let weight = weights[row]
            guard !weight.isNaN else { throw StageFailure("record row \(row + 1) has no \(weightName)") }
            guard weight >= 0 else { throw StageFailure("record row \(row + 1): \(weightName) is \(weight); link weights cannot be negative") }
            if dropLoops, ends[0] == ends[1] { continue }
            pairs[ends[0] * names.count + ends[1], default: 0] += weight
        }
        let keys = pairs.keys.sorted()
        let edges = try Table([
            ("source", Column(category: keys.map { names[$0 / names.count] })),
            ("target", Column(category: keys.map { names[$0 % names.count] })),
            ("weight", Column(double: keys.map { pairs[$0]! })),
        ])
        return ["nodes": nodeTable.artifact, "edges": edges.artifact]
    }

    static func name(_ value: Value) -> String? {
        switch value {
        case let .string(s): return s
        case let .int64(i): return String(i)
        case .missing: return nil
        default: return value.description
        }
    }
}

/// A graph artifact (nodes and edges tables) read back for the network stages.
struct NetworkInput {
    var nodes: Table
    var names: [String]
    var graph: WeightedDigraph

    init(_ context: StageContext) throws {
        nodes = try context.table("nodes")
        let edges = try context.table("edges")
        guard let nodeColumn = nodes["node"], let source = edges["source"], let target = edges["target"],
              let weight = edges["weight"]?.numericValues() else {
            throw StageFailure("inputs must be networks.build's nodes (node, …) and edges (source, target, weight) tables")
        }
        names = nodeColumn.values.map { NetworkBuildStage.name($0) ?? "" }
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() { index[name] = position }
        let arcs = try (0..<edges.rowCount).map { row -> (from: Int, to: Int, weight: Double) in
            guard let a = NetworkBuildStage.name(source[row]).flatMap({ index[$0] }),
                  let b = NetworkBuildStage.name(target[row]).flatMap({ index[$0] }) else {
                throw StageFailure("edge row \(row + 1) (\(source[row]) → \(target[row])) names a node the nodes table does not have")
            }
            return (a, b, weight[row])
        }
        graph = WeightedDigraph(nodeCount: names.count, edges: arcs)
    }
}
