import Foundation
import PaperflowCore
import PaperflowStages

/// The stage graph as an SVG drawing: stages in layers by their longest path from a source,
/// edges as arrows downwards, each box coloured by how the stage ended in a run (when given).
enum DagDrawing {
    static let boxWidth = 190.0, boxHeight = 44.0, columnGap = 24.0, rowGap = 46.0, margin = 16.0

    static let fills: [StageOutcome: String] = [.ran: "#dbe9f6", .cached: "#eeeeee", .failed: "#f8d3cf", .skipped: "#fff4cc", .cancelled: "#fff4cc"]

    static func svg(_ graph: StageGraph, outcomes: [String: StageOutcome] = [:]) -> String {
        var layer = [Int](repeating: 0, count: graph.stages.count)
        for index in graph.stages.indices {
            layer[index] = graph.dependencies[index].map { layer[$0] + 1 }.max() ?? 0
        }
        let layers = (layer.max() ?? 0) + 1
        var rows = [[Int]](repeating: [], count: layers)
        for index in graph.stages.indices { rows[layer[index]].append(index) }
        let widest = rows.map(\.count).max() ?? 1
        let width = margin * 2 + Double(widest) * boxWidth + Double(max(widest - 1, 0)) * columnGap
        let height = margin * 2 + Double(layers) * boxHeight + Double(max(layers - 1, 0)) * rowGap
        var center = [(Double, Double)](repeating: (0, 0), count: graph.stages.count)
        for (row, members) in rows.enumerated() {
            let span = Double(members.count) * boxWidth + Double(max(members.count - 1, 0)) * columnGap
            for (position, index) in members.enumerated() {
                center[index] = ((width - span) / 2 + Double(position) * (boxWidth + columnGap) + boxWidth / 2,
                                 margin + Double(row) * (boxHeight + rowGap) + boxHeight / 2)
            }
        }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        let escape = Markup.escape
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" viewBox=\"0 0 \(number(width)) \(number(height))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">",
                     "<title>\(escape(graph.workflowName)) stage graph</title>",
                     "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 Z\" fill=\"#555555\"/></marker></defs>",
                     "<rect x=\"0\" y=\"0\" width=\"\(number(width))\" height=\"\(number(height))\" fill=\"#ffffff\"/>"]
        for (index, sources) in graph.dependencies.enumerated() {
            for source in sources {
                lines.append("<line class=\"dependency\" x1=\"\(number(center[source].0))\" y1=\"\(number(center[source].1 + boxHeight / 2))\" x2=\"\(number(center[index].0))\" y2=\"\(number(center[index].1 - boxHeight / 2))\" stroke=\"#555555\" marker-end=\"url(#arrow)\"/>")
            }
        }
        for (index, stage) in graph.stages.enumerated() {
            let (x, y) = center[index]
            let outcome = outcomes[stage.name]
            lines.append("<g class=\"stage\" data-stage=\"\(escape(stage.name))\"\(outcome.map { " data-status=\"\($0.rawValue)\"" } ?? "")>")
            lines.append("<rect x=\"\(number(x - boxWidth / 2))\" y=\"\(number(y - boxHeight / 2))\" width=\"\(number(boxWidth))\" height=\"\(number(boxHeight))\" rx=\"6\" fill=\"\(outcome.flatMap { fills[$0] } ?? "#ffffff")\" stroke=\"#333333\"/>")
            lines.append("<text x=\"\(number(x))\" y=\"\(number(y - 3))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(stage.name))</text>")
            lines.append("<text x=\"\(number(x))\" y=\"\(number(y + 13))\" text-anchor=\"middle\" fill=\"#555555\" font-size=\"10\">\(escape(stage.pluginReference))</text>")
            lines.append("</g>")
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }
}
