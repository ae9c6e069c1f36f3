import Foundation
import PaperflowCore
import PaperflowData

/// `figures.bars`: bars of a value by category, grouped by series side by side — zhou-2010's
/// Figure 7 (% of firms exporting, by region and sector) from a cross table's values.
public struct BarFigureStage: Stage {
    public static let id = "figures.bars"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Bar chart of a value by category, grouped by series (SVG).",
        documentation: "One row per category × series (aggregate first, e.g. tables.crosstab's values); a repeated pair is an error naming both rows.",
        inputs: [PortSpec("table", kind: .table, summary: "one row per bar")],
        outputs: FigureFrame.output,
        params: [ParamSpec("x", .string, required: true, summary: "the category"),
                 ParamSpec("y", .string, required: true, summary: "the bar's height"),
                 ParamSpec("series", .string, default: .string(""), summary: "bars side by side per value of this column")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let heights = try FigureFrame.numbers(table, context, "y")
        let (categories, categoryOf) = try FigureFrame.labels(table, context, "x")
        let (series, seriesOf) = try FigureFrame.labels(table, context, "series")
        var cell: [String: Int] = [:]
        for row in 0..<table.rowCount {
            guard let category = categoryOf[row], let name = seriesOf[row], !heights[row].isNaN else { continue }
            if let first = cell.updateValue(row, forKey: category + "\u{1}" + name) {
                throw StageFailure("rows \(first + 1) and \(row + 1) are both \(category)\(name.isEmpty ? "" : " / \(name)"); one row per bar (aggregate or subset first)")
            }
        }
        var frame = try FigureFrame(context, legendWidth: FigureFrame.legendWidth(series))
        let y = LinearScale(covering: heights.filter { !$0.isNaN }, range: (frame.bottom, frame.top), includeZero: true)
        let band = (frame.right - frame.left) / Double(categories.count), width = band * 0.8 / Double(series.count)
        frame.valueAxis(y, label: FigureFrame.axisLabel(context, "y_label", default: context.string("y")!))
        frame.horizontalAxis(categories: categories.indices.map { (categories[$0], frame.left + band * (Double($0) + 0.5)) },
                             label: FigureFrame.axisLabel(context, "x_label", default: context.string("x")!))
        for (s, name) in series.enumerated() {
            frame.svg.open(["class": "series", "data-series": name])
            for (c, category) in categories.enumerated() {
                guard let row = cell[category + "\u{1}" + name] else { continue }
                let x = frame.left + band * (Double(c) + 0.1) + width * Double(s)
                let top = min(y(heights[row]), y(0)), height = abs(y(heights[row]) - y(0))
                frame.svg.element("rect", ["class": "bar", "data-category": category, "x": x, "y": top, "width": width * 0.92,
                                           "height": height, "fill": FigureFrame.color(s)])
            }
            frame.svg.close()
        }
        frame.legend(series)
        return frame.artifact
    }
}

/// `figures.lines`: one line per series over a numeric x, usually years.
public struct LineFigureStage: Stage {
    public static let id = "figures.lines"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Line chart over a numeric x (years), one line per series (SVG).",
        documentation: "Points are joined in order of x; a series' rows with a missing value are left out; a repeated x within a series is an error.",
        inputs: [PortSpec("table", kind: .table, summary: "one row per point")],
        outputs: FigureFrame.output,
        params: [ParamSpec("x", .string, required: true, summary: "the horizontal value (e.g. year)"),
                 ParamSpec("y", .string, required: true, summary: "the vertical value"),
                 ParamSpec("series", .string, default: .string(""), summary: "one line per value of this column")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let xs = try FigureFrame.numbers(table, context, "x"), ys = try FigureFrame.numbers(table, context, "y")
        let (series, seriesOf) = try FigureFrame.labels(table, context, "series")
        let lines = try series.map { name -> [Int] in
            let rows = (0..<table.rowCount).filter { seriesOf[$0] == name && !xs[$0].isNaN && !ys[$0].isNaN }.sorted { xs[$0] < xs[$1] }
            if let repeated = zip(rows, rows.dropFirst()).first(where: { xs[$0] == xs[$1] }) {
                throw StageFailure("rows \(repeated.0 + 1) and \(repeated.1 + 1) both put \(name.isEmpty ? "the line" : name) at \(context.string("x")!) = \(xs[repeated.0]); one point per x")
            }
            return rows
        }
        let present = lines.flatMap { $0 }
        guard !present.isEmpty else { throw StageFailure("no row has both \(context.string("x")!) and \(context.string("y")!)") }
        var frame = try FigureFrame(context, legendWidth: FigureFrame.legendWidth(series))
        let x = LinearScale(covering: present.map { xs[$0] }, range: (frame.left, frame.right))
        let y = LinearScale(covering: present.map { ys[$0] }, range: (frame.bottom, frame.top))
        frame.valueAxis(y, label: FigureFrame.axisLabel(context, "y_label", default: context.string("y")!))
        frame.horizontalAxis(x, label: FigureFrame.axisLabel(context, "x_label", default: context.string("x")!))
        for (index, rows) in lines.enumerated() where !rows.isEmpty {
            frame.svg.element("path", ["class": "line", "data-series": series[index], "d": SVGDocument.path(rows.map { (x(xs[$0]), y(ys[$0])) }),
                                       "fill": "none", "stroke": FigureFrame.color(index), "stroke-width": 2])
            for row in rows {
                frame.svg.element("circle", ["class": "point", "cx": x(xs[row]), "cy": y(ys[row]), "r": 3, "fill": FigureFrame.color(index)])
            }
        }
        frame.legend(series)
        return frame.artifact
    }
}
