import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `figures.network`: a network drawn by Fruchterman–Reingold's force layout (1991) — shen-2025's
/// city and district networks. Deterministic: nodes start on a circle in table order, and the
/// layout cools over a fixed number of steps, so the same graph is the same drawing.
public struct NetworkFigureStage: Stage {
    public static let id = "figures.network"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Network drawing by force layout: node size by strength (or a column), colour by group, edge width by weight (SVG).",
        documentation: """
            Inputs are networks.build's nodes and edges (or any nodes table with a node column,
            e.g. networks.centrality's or networks.core-periphery's, to colour by core). Ties are
            drawn undirected, with width by the pair's total weight. Groups: up to 8 in Okabe–Ito
            colours, up to 20 in Tableau's 20; beyond 20 the rest are grey (a note says so).
            With more than 40 nodes and a group, each group starts around its own point on a
            circle and is held near it, so groups read as clusters; names are written for the
            label_top largest nodes where they overlap nothing (with groups, each group's largest
            node first).
            """,
        inputs: [PortSpec("nodes", kind: .table, summary: "node and attributes"),
                 PortSpec("edges", kind: .table, summary: "source, target, weight")],
        outputs: FigureFrame.output,
        params: [ParamSpec("group", .string, default: .string(""), summary: "nodes column for the colour"),
                 ParamSpec("size", .string, default: .string(""), summary: "nodes column for the area (default: strength)"),
                 ParamSpec("iterations", .int, default: .int(500), summary: "layout steps"),
                 ParamSpec("label_top", .int, default: .int(-1), summary: "name n nodes, each group's largest first (-1: all up to 40 nodes, else 15)")]
            + FigureFrame.params.filter { !["x_label", "y_label", "subset"].contains($0.name) }
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let network = try NetworkInput(context)
        let n = network.names.count
        guard n > 0 else { throw StageFailure("the network has no nodes") }
        let ties = network.graph.symmetrizedMatrix
        let strength = ties.map { $0.reduce(0, +) }
        let sizeName = context.string("size")!
        let sizes = sizeName.isEmpty ? strength : try network.nodes.numbers(sizeName, for: "size").map { $0.isNaN ? 0 : $0 }
        var (groups, groupOf) = ([""], [String?](repeating: "", count: n))
        if !context.string("group")!.isEmpty {
            let column = try network.nodes.column(context.string("group")!, for: "group")
            groupOf = (0..<n).map { column.isMissing($0) ? nil : column[$0].description }
            groups = groupOf.compactMap { $0 }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        }
        let iterations = Int(context.int("iterations")!)
        guard (1...100_000).contains(iterations) else { throw StageFailure("iterations must be between 1 and 100000") }
        let clustered = n > 40 && groups.count > 1
        let positions = Self.layout(ties, iterations: iterations,
                                    groups: clustered ? groupOf.map { $0.flatMap { groups.firstIndex(of: $0) } } : nil, groupCount: groups.count)
        let colors = FigureFrame.categoricalColors(groups.count)
        if groups.count > colors.count {
            context.report(.note, "\(groups.count) groups but \(colors.count) distinct colours: \(groups.count - colors.count) groups drawn grey (\(groups[colors.count...].prefix(5).joined(separator: ", ")), …)")
        }
        let legendNames = Array(groups.prefix(colors.count)) + (groups.count > colors.count ? ["other"] : [])
        var frame = try FigureFrame(context, legendWidth: FigureFrame.legendWidth(legendNames))
        let xs = LinearScale(covering: positions.map(\.0), range: (frame.left + 20, frame.right - 20))
        let ys = LinearScale(covering: positions.map(\.1), range: (frame.bottom - 10, frame.top + 10))
        let heaviest = ties.flatMap { $0 }.max() ?? 1, largest = max(sizes.max() ?? 1, 1e-300)
        frame.svg.open(["class": "edges"])
        for i in 0..<n {
            for j in (i + 1)..<n where ties[i][j] > 0 {
                frame.svg.element("line", ["class": "edge", "data-source": network.names[i], "data-target": network.names[j],
                                           "x1": xs(positions[i].0), "y1": ys(positions[i].1), "x2": xs(positions[j].0), "y2": ys(positions[j].1),
                                           "stroke": "#7f7f7f", "stroke-opacity": 0.6, "stroke-width": 0.5 + 5.5 * ties[i][j] / heaviest])
            }
        }
        frame.svg.close()
        // Smaller symbols in a large network, so a dense cluster does not become one disc.
        let growth = n > 40 ? 8.0 : 14.0
        let radius = (0..<n).map { 3 + growth * (max(sizes[$0], 0) / largest).squareRoot() }
        var labels = LabelPlacement(left: frame.left, top: frame.top, right: frame.right, bottom: frame.bottom)
        frame.svg.open(["class": "nodes"])
        for i in 0..<n {
            let color = groupOf[i].flatMap { groups.firstIndex(of: $0) }.map { $0 < colors.count ? colors[$0] : "#bbbbbb" } ?? "#bbbbbb"
            frame.svg.element("circle", ["class": "node", "data-node": network.names[i], "cx": xs(positions[i].0), "cy": ys(positions[i].1),
                                         "r": radius[i], "fill": color, "stroke": "#ffffff", "stroke-width": 1])
        }
        frame.svg.close()
        let wanted = Int(context.int("label_top")!)
        guard wanted >= -1 else { throw StageFailure("label_top must be a number of nodes to name (0: none, -1: automatic); it is \(wanted)") }
        let named = wanted >= 0 ? wanted : (n <= 40 ? n : 15)
        frame.svg.open(["class": "labels"])
        // The largest node of each group first (every cluster gets its hub named), then the rest by size.
        let bySize = (0..<n).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var leaders: [Int] = [], seenGroups: Set<String> = []
        for i in bySize where groups.count > 1 { if let group = groupOf[i], seenGroups.insert(group).inserted { leaders.append(i) } }
        let order = leaders + bySize.filter { !leaders.contains($0) }
        // A name may cross other nodes (its white halo keeps it legible), never its own node or another name.
        for i in order.prefix(named) { labels.occupy(circleAt: xs(positions[i].0), ys(positions[i].1), radius: radius[i]) }
        for i in order.prefix(named) {
            guard let place = labels.place(network.names[i], besideCircleAt: xs(positions[i].0), ys(positions[i].1), radius: radius[i]) else { continue }
            frame.svg.element("text", ["class": "node-label", "x": place.x, "y": place.y, "text-anchor": place.anchor, "font-size": 11,
                                       "fill": "#222222", "stroke": "#ffffff", "stroke-width": 2.5, "paint-order": "stroke"], text: network.names[i])
        }
        frame.svg.close()
        labels.reportLeftOut(context, what: "node name")
        frame.legend(legendNames, colors: colors)
        return frame.artifact
    }

    /// Fruchterman–Reingold on the unit square: repulsion k²/d between every pair, attraction
    /// d²/k along ties (scaled by the square root of the tie's strength relative to the mean tie,
    /// at most 2), displacement capped by a temperature that falls linearly to zero, positions
    /// kept inside the square.
    ///
    /// With `groups` (each node's group index, nil for none), every group has an anchor on a
    /// circle of radius 0.3: its nodes start on a small circle around it and are pulled toward
    /// it with a force proportional to the distance, so a group stays a cluster.
    static func layout(_ ties: [[Double]], iterations: Int, groups: [Int?]? = nil, groupCount: Int = 0) -> [(Double, Double)] {
        let n = ties.count
        guard n > 1 else { return [(0.5, 0.5)] }
        let anchors = (0..<max(groupCount, 1)).map { group -> (Double, Double) in
            let angle = 2 * Double.pi * Double(group) / Double(max(groupCount, 1))
            return (0.5 + 0.3 * cos(angle), 0.5 + 0.3 * sin(angle))
        }
        var position = (0..<n).map { index -> (Double, Double) in
            let angle = 2 * Double.pi * Double(index) / Double(n)
            if let group = groups?[index] ?? nil {
                return (anchors[group].0 + 0.08 * cos(angle), anchors[group].1 + 0.08 * sin(angle))
            }
            return (0.5 + 0.4 * cos(angle), 0.5 + 0.4 * sin(angle))
        }
        let k = (1 / Double(n)).squareRoot()
        let positive = ties.flatMap { $0 }.filter { $0 > 0 }
        let meanTie = positive.isEmpty ? 1 : positive.reduce(0, +) / Double(positive.count)
        for step in 0..<iterations {
            let temperature = 0.1 * (1 - Double(step) / Double(iterations))
            var shift = [(Double, Double)](repeating: (0, 0), count: n)
            for i in 0..<n {
                for j in (i + 1)..<n {
                    var dx = position[i].0 - position[j].0, dy = position[i].1 - position[j].1
                    if dx == 0, dy == 0 { dx = 1e-6 * Double(i - j); dy = 1e-6 }
                    let distance = max((dx * dx + dy * dy).squareRoot(), 1e-9)
                    var force = k * k / distance
                    if ties[i][j] > 0 { force -= distance * distance / k * min(ties[i][j] / meanTie, 4).squareRoot() }
                    let fx = dx / distance * force, fy = dy / distance * force
                    shift[i].0 += fx; shift[i].1 += fy
                    shift[j].0 -= fx; shift[j].1 -= fy
                }
            }
            if let groups {
                for i in 0..<n {
                    guard let group = groups[i] else { continue }
                    shift[i].0 += 2 * (anchors[group].0 - position[i].0) / k
                    shift[i].1 += 2 * (anchors[group].1 - position[i].1) / k
                }
            }
            for i in 0..<n {
                let length = max((shift[i].0 * shift[i].0 + shift[i].1 * shift[i].1).squareRoot(), 1e-12)
                let moved = min(length, temperature)
                // Kept inside the frame, as in the original: an isolated node cannot drift off
                // and squeeze the rest of the drawing into a corner.
                position[i].0 = min(1, max(0, position[i].0 + shift[i].0 / length * moved))
                position[i].1 = min(1, max(0, position[i].1 + shift[i].1 / length * moved))
            }
        }
        return position
    }
}
