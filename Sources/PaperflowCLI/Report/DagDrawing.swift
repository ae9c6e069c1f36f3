import Foundation
import PaperflowCore
import PaperflowStages

/// The stage graph as an SVG drawing, left to right: a stage's column is its longest path from
/// a source, stages in a column ordered by the mean row of what they depend on (one barycentre
/// sweep, Sugiyama et al. 1981, so edges cross less), edges as curves from a box's right side to
/// the next box's left, each box coloured by how the stage ended in a run (when given). The
/// drawing keeps its size (12 px text); the report scrolls it rather than shrinking it.
enum DagDrawing {
    static let boxWidth = 190.0, boxHeight = 40.0, columnGap = 56.0, rowGap = 12.0, margin = 16.0

    static let fills: [StageOutcome: String] = [.ran: "#dbe9f6", .cached: "#eeeeee", .failed: "#f8d3cf", .skipped: "#fff4cc", .cancelled: "#fff4cc"]

    /// Each stage's column and row.
    static func layout(_ graph: StageGraph) -> (column: [Int], row: [Int]) {
        var column = [Int](repeating: 0, count: graph.stages.count)
        for index in graph.stages.indices {
            column[index] = graph.dependencies[index].map { column[$0] + 1 }.max() ?? 0
        }
        var columns = [[Int]](repeating: [], count: (column.max() ?? 0) + 1)
        for index in graph.stages.indices { columns[column[index]].append(index) }
        var row = [Int](repeating: 0, count: graph.stages.count)
        for (position, index) in columns[0].enumerated() { row[index] = position }
        for c in columns.indices.dropFirst() {
            let ordered = columns[c].enumerated().sorted { a, b in
                let sources = [a.element, b.element].map { graph.dependencies[$0] }
                let means = sources.map { $0.isEmpty ? 0 : Double($0.map { row[$0] }.reduce(0, +)) / Double($0.count) }
                return means[0] != means[1] ? means[0] < means[1] : a.offset < b.offset
            }.map(\.element)
            for (position, index) in ordered.enumerated() { row[index] = position }
        }
        return (column, row)
    }

    static func svg(_ graph: StageGraph, outcomes: [String: StageOutcome] = [:]) -> String {
        let (column, row) = layout(graph)
        let columns = (column.max() ?? 0) + 1, tallest = (row.max() ?? 0) + 1
        let width = margin * 2 + Double(columns) * boxWidth + Double(max(columns - 1, 0)) * columnGap
        let height = margin * 2 + Double(tallest) * boxHeight + Double(max(tallest - 1, 0)) * rowGap
        let center = graph.stages.indices.map { index in
            (margin + Double(column[index]) * (boxWidth + columnGap) + boxWidth / 2, margin + Double(row[index]) * (boxHeight + rowGap) + boxHeight / 2)
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
                let (x1, y1) = (center[source].0 + boxWidth / 2, center[source].1), (x2, y2) = (center[index].0 - boxWidth / 2, center[index].1)
                let bend = max((x2 - x1) / 2, 20)
                lines.append("<path class=\"dependency\" d=\"M\(number(x1)),\(number(y1)) C\(number(x1 + bend)),\(number(y1)) \(number(x2 - bend)),\(number(y2)) \(number(x2)),\(number(y2))\" fill=\"none\" stroke=\"#555555\" stroke-opacity=\"0.7\" marker-end=\"url(#arrow)\"/>")
            }
        }
        for (index, stage) in graph.stages.enumerated() {
            let (x, y) = center[index]
            let outcome = outcomes[stage.name]
            lines.append("<g class=\"stage\" data-stage=\"\(escape(stage.name))\"\(outcome.map { " data-status=\"\($0.rawValue)\"" } ?? "")>")
            lines.append("<rect x=\"\(number(x - boxWidth / 2))\" y=\"\(number(y - boxHeight / 2))\" width=\"\(number(boxWidth))\" height=\"\(number(boxHeight))\" rx=\"6\" fill=\"\(outcome.flatMap { fills[$0] } ?? "#ffffff")\" stroke=\"#333333\"/>")
            lines.append("<text x=\"\(number(x))\" y=\"\(number(y - 3))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(Self.fitted(stage.name, width: boxWidth - 10, em: 7.6)))</text>")
            lines.append("<text x=\"\(number(x))\" y=\"\(number(y + 12))\" text-anchor=\"middle\" fill=\"#555555\" font-size=\"10\">\(escape(stage.pluginReference))</text>")
            lines.append("</g>")
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A name cut with an ellipsis to fit `width` at about `em` pixels a character (the full
    /// name is the group's data-stage and the provenance table's row).
    static func fitted(_ text: String, width: Double, em: Double) -> String {
        let most = Int(width / em)
        return text.count <= most ? text : String(text.prefix(most - 1)) + "…"
    }
}
