import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `figures.scatter`: a scatter plot — the canonical ECI–income figure (Hidalgo & Hausmann 2009,
/// Fig. 3): points coloured by group, chosen points labelled, an OLS line with the confidence
/// band of its mean (R's `predict(lm, interval = "confidence")`, as ggplot2's
/// `geom_smooth(method = "lm")` draws it), and logarithmic axes.
public struct ScatterFigureStage: Stage {
    public static let id = "figures.scatter"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Scatter plot with optional labels, OLS fit line and confidence band, log axes, colour by group (SVG).",
        documentation: """
            Rows with a missing x or y are left out. label_points names the points to label (values
            of the label column; "*" labels all): each label takes a free place beside its point or
            is left out, never overlapping another. fit: true draws the least-squares line of y on
            x with its level confidence band, fitted on the axes' scales (log10 of a logarithmic
            axis, as ggplot2 fits after scale_x_log10); the fit output holds the line and the band
            at 101 points across the data, in data units (empty without fit).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "one row per point")],
        outputs: FigureFrame.output + [PortSpec("fit", kind: .table, fileName: "fit.pftable", summary: "x, fit, lower, upper of the fitted line")],
        params: [ParamSpec("x", .string, required: true, summary: "the horizontal value"),
                 ParamSpec("y", .string, required: true, summary: "the vertical value"),
                 ParamSpec("group", .string, default: .string(""), summary: "colour the points by this column"),
                 ParamSpec("label", .string, default: .string(""), summary: "the column that names each point"),
                 ParamSpec("label_points", .list(.string), default: .list([]), summary: "values of label to write beside their points (\"*\": all)"),
                 ParamSpec("fit", .bool, default: .bool(false), summary: "draw the OLS line of y on x with its confidence band"),
                 ParamSpec("level", .double, default: .double(0.95), summary: "the band's confidence level"),
                 ParamSpec("log_x", .bool, default: .bool(false), summary: "logarithmic horizontal axis"),
                 ParamSpec("log_y", .bool, default: .bool(false), summary: "logarithmic vertical axis")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let xs = try FigureFrame.numbers(table, context, "x"), ys = try FigureFrame.numbers(table, context, "y")
        let (groups, groupOf) = try FigureFrame.labels(table, context, "group")
        let rows = (0..<table.rowCount).filter { !xs[$0].isNaN && !ys[$0].isNaN && groupOf[$0] != nil }
        guard rows.count >= 1 else { throw StageFailure("no row has both \(context.string("x")!) and \(context.string("y")!)") }
        let logX = context.bool("log_x")!, logY = context.bool("log_y")!
        for (axis, values, logarithmic) in [("x", xs, logX), ("y", ys, logY)] where logarithmic {
            if let row = rows.first(where: { values[$0] <= 0 }) {
                let column = context.string(axis)!
                throw StageFailure("row \(row + 1) has \(column) = \(values[row]), which a logarithmic axis cannot show; leave such rows out (subset: \"\(column) > 0\") or set log_\(axis): false")
            }
        }
        let names = try Self.labelled(table, context, rows: rows)
        var band: [(x: Double, fit: Double, lower: Double, upper: Double)] = []
        if context.bool("fit")! {
            band = try Self.band(x: rows.map { xs[$0] }, y: rows.map { ys[$0] }, logX: logX, logY: logY, level: context.double("level")!)
        }
        var frame = try FigureFrame(context, legendWidth: FigureFrame.legendWidth(groups))
        // The vertical axis spans the points and the band.
        let vertical = rows.map { ys[$0] } + band.flatMap { [$0.lower, $0.upper] }
        let xScale = logX ? LinearScale(logCovering: rows.map { xs[$0] }, range: (frame.left, frame.right))
            : LinearScale(covering: rows.map { xs[$0] }, range: (frame.left, frame.right))
        let yScale = logY ? LinearScale(logCovering: vertical, range: (frame.bottom, frame.top))
            : LinearScale(covering: vertical, range: (frame.bottom, frame.top))
        frame.valueAxis(yScale, label: FigureFrame.axisLabel(context, "y_label", default: context.string("y")!))
        frame.horizontalAxis(xScale, label: FigureFrame.axisLabel(context, "x_label", default: context.string("x")!))
        if !band.isEmpty {
            let upper = band.map { (xScale($0.x), yScale($0.upper)) }, lower = band.reversed().map { (xScale($0.x), yScale($0.lower)) }
            frame.svg.element("path", ["class": "band", "d": SVGDocument.path(upper + lower, closed: true), "fill": "#7f7f7f", "fill-opacity": 0.2, "stroke": "none"])
            frame.svg.element("path", ["class": "fit", "d": SVGDocument.path(band.map { (xScale($0.x), yScale($0.fit)) }), "fill": "none",
                                       "stroke": "#333333", "stroke-width": 1.5])
        }
        var labels = LabelPlacement(left: frame.left, top: frame.top, right: frame.right, bottom: frame.bottom)
        frame.svg.open(["class": "points"])
        for row in rows {
            let color = groups.count > 1 ? FigureFrame.color(groups.firstIndex(of: groupOf[row]!)!) : FigureFrame.color(0)
            frame.svg.element("circle", ["class": "point", "data-row": row + 1, "cx": xScale(xs[row]), "cy": yScale(ys[row]), "r": 3.5,
                                         "fill": color, "fill-opacity": 0.8, "stroke": "#ffffff", "stroke-width": 0.5])
            labels.occupy(circleAt: xScale(xs[row]), yScale(ys[row]), radius: 3.5)
        }
        frame.svg.close()
        frame.svg.open(["class": "labels"])
        for (row, name) in names {
            guard let place = labels.place(name, besideCircleAt: xScale(xs[row]), yScale(ys[row]), radius: 3.5) else { continue }
            frame.svg.element("text", ["class": "point-label", "x": place.x, "y": place.y, "text-anchor": place.anchor, "font-size": 11,
                                       "fill": "#222222"], text: name)
        }
        frame.svg.close()
        labels.reportLeftOut(context)
        frame.legend(groups.count > 1 ? groups : [])
        var outputs = frame.artifact
        outputs["fit"] = try Table([("x", Column(double: band.map(\.x))), ("fit", Column(double: band.map(\.fit))),
                                    ("lower", Column(double: band.map(\.lower))), ("upper", Column(double: band.map(\.upper)))]).artifact
        return outputs
    }

    /// The rows to label and their names, in row order; a requested name that no plotted row
    /// carries is an error naming it.
    static func labelled(_ table: Table, _ context: StageContext, rows: [Int]) throws -> [(Int, String)] {
        let wanted = context.strings("label_points")
        guard !wanted.isEmpty else { return [] }
        guard !context.string("label")!.isEmpty else { throw StageFailure("label_points needs label: the column that names the points") }
        let names = try FigureFrame.labels(table, context, "label").of
        let all = wanted.contains("*")
        let chosen = rows.compactMap { row in names[row].flatMap { all || wanted.contains($0) ? (row, $0) : nil } }
        let missing = wanted.filter { name in name != "*" && !chosen.contains { $0.1 == name } }
        if !missing.isEmpty {
            throw StageFailure("label_points names \(missing.map { "'\($0)'" }.joined(separator: ", ")), which no plotted row of \(context.string("label")!) holds")
        }
        return chosen
    }

    /// The fitted line and its confidence band at 101 points across x, fitted on the axes'
    /// scales and returned in data units.
    static func band(x: [Double], y: [Double], logX: Bool, logY: Bool, level: Double) throws -> [(x: Double, fit: Double, lower: Double, upper: Double)] {
        guard level > 0, level < 1 else { throw StageFailure("level must lie between 0 and 1, e.g. 0.95; it is \(level)") }
        let u = logX ? x.map { log10($0) } : x, v = logY ? y.map { log10($0) } : y
        let line: StraightLineFit
        do { line = try StraightLineFit(x: u, y: v) } catch let failure as EstimationFailure { throw StageFailure("fit line: \(failure.message)") }
        let low = u.min()!, high = u.max()!
        return (0...100).map { step in
            let at = low + (high - low) * Double(step) / 100
            let (fit, lower, upper) = line.band(at: at, level: level)
            let back: (Double) -> Double = { logY ? pow(10, $0) : $0 }
            return (logX ? pow(10, at) : at, back(fit), back(lower), back(upper))
        }
    }
}
