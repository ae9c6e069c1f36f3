import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `figures.density`: a Gaussian kernel density curve per group (R's `density()` with bw.nrd0).
public struct DensityFigureStage: Stage {
    public static let id = "figures.density"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Kernel density of a variable, one curve per group (SVG).",
        documentation: "Gaussian kernel, bandwidth by Silverman's rule (R's bw.nrd0) unless given; 256 points over the pooled range ± 3 bandwidths.",
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: FigureFrame.output,
        params: [ParamSpec("value", .string, required: true, summary: "the variable"),
                 ParamSpec("group", .string, default: .string(""), summary: "one curve per value of this column"),
                 ParamSpec("bandwidth", .double, default: .double(0), summary: "kernel bandwidth (0: bw.nrd0 per group)")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let values = try FigureFrame.numbers(table, context, "value")
        let (groups, labels) = try FigureFrame.labels(table, context, "group")
        var densities: [(String, KernelDensity)] = []
        for group in groups {
            let sample = (0..<table.rowCount).filter { labels[$0] == group && !values[$0].isNaN }.map { values[$0] }
            do {
                let bandwidth = context.double("bandwidth")!
                densities.append((group, try KernelDensity(sample, bandwidth: bandwidth > 0 ? bandwidth : nil)))
            } catch let failure as EstimationFailure {
                throw StageFailure("density of \(context.string("value")!)\(group.isEmpty ? "" : " for \(group)"): \(failure.message)")
            }
        }
        let low = densities.map { $0.1.values.min()! - 3 * $0.1.bandwidth }.min()!, high = densities.map { $0.1.values.max()! + 3 * $0.1.bandwidth }.max()!
        let curves = densities.map { ($0.0, $0.1.curve(from: low, to: high, count: 256)) }
        var frame = try FigureFrame(context, legendWidth: FigureFrame.legendWidth(groups))
        let x = LinearScale(covering: [low, high], range: (frame.left, frame.right))
        let y = LinearScale(covering: curves.flatMap { $0.1.map(\.density) }, range: (frame.bottom, frame.top), includeZero: true)
        frame.valueAxis(y, label: FigureFrame.axisLabel(context, "y_label", default: "Density"))
        frame.horizontalAxis(x, label: FigureFrame.axisLabel(context, "x_label", default: context.string("value")!))
        for (index, (group, curve)) in curves.enumerated() {
            frame.svg.element("path", ["class": "density", "data-group": group, "d": SVGDocument.path(curve.map { (x($0.x), y($0.density)) }),
                                       "fill": "none", "stroke": FigureFrame.color(index), "stroke-width": 2])
        }
        frame.legend(groups)
        return frame.artifact
    }
}

/// `figures.box`: Tukey box plots by group — quartiles (type 7), whiskers to the furthest value
/// within 1.5 IQR, points beyond drawn as outliers (R's `boxplot`, with type-7 rather than
/// Tukey's hinges).
public struct BoxFigureStage: Stage {
    public static let id = "figures.box"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Box plots of a variable by group (SVG).",
        documentation: "Box from the 25% to the 75% quantile (type 7) with the median; whiskers to the furthest value within 1.5 IQR; outliers as points.",
        inputs: [PortSpec("table", kind: .table, summary: "the rows")],
        outputs: FigureFrame.output,
        params: [ParamSpec("value", .string, required: true, summary: "the variable"),
                 ParamSpec("group", .string, default: .string(""), summary: "one box per value of this column")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let values = try FigureFrame.numbers(table, context, "value")
        let (groups, labels) = try FigureFrame.labels(table, context, "group")
        let samples = groups.map { group in (0..<table.rowCount).filter { labels[$0] == group && !values[$0].isNaN }.map { values[$0] }.sorted() }
        if let empty = samples.firstIndex(where: \.isEmpty) { throw StageFailure("group '\(groups[empty])' has no value of \(context.string("value")!)") }
        var frame = try FigureFrame(context)
        let y = LinearScale(covering: samples.flatMap { $0 }, range: (frame.bottom, frame.top))
        let band = (frame.right - frame.left) / Double(groups.count)
        frame.valueAxis(y, label: FigureFrame.axisLabel(context, "y_label", default: context.string("value")!))
        frame.horizontalAxis(categories: groups.indices.map { (groups[$0], frame.left + band * (Double($0) + 0.5)) },
                             label: FigureFrame.axisLabel(context, "x_label", default: context.string("group")!))
        for (index, sample) in samples.enumerated() {
            let q1 = Quantiles.type7(sorted: sample, 0.25), median = Quantiles.type7(sorted: sample, 0.5), q3 = Quantiles.type7(sorted: sample, 0.75)
            let reach = 1.5 * (q3 - q1)
            let lowWhisker = sample.first { $0 >= q1 - reach }!, highWhisker = sample.last { $0 <= q3 + reach }!
            let center = frame.left + band * (Double(index) + 0.5), half = min(band * 0.3, 40)
            frame.svg.open(["class": "box", "data-group": groups[index]])
            frame.svg.element("line", ["class": "whisker", "x1": center, "x2": center, "y1": y(lowWhisker), "y2": y(highWhisker), "stroke": "#333333"])
            frame.svg.element("rect", ["class": "iqr", "x": center - half, "y": y(q3), "width": 2 * half, "height": max(y(q1) - y(q3), 0.5),
                                       "fill": FigureFrame.color(index), "fill-opacity": 0.35, "stroke": FigureFrame.color(index)])
            frame.svg.element("line", ["class": "median", "x1": center - half, "x2": center + half, "y1": y(median), "y2": y(median),
                                       "stroke": "#000000", "stroke-width": 2])
            for outlier in sample where outlier < lowWhisker || outlier > highWhisker {
                frame.svg.element("circle", ["class": "outlier", "cx": center, "cy": y(outlier), "r": 2.5, "fill": "none", "stroke": "#333333"])
            }
            frame.svg.close()
        }
        return frame.artifact
    }
}

/// `figures.dots`: a ranked dot chart (Cleveland) — units sorted by a value, largest at the top,
/// e.g. cities by centrality.
public struct DotFigureStage: Stage {
    public static let id = "figures.dots"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Ranked dot chart: one row per unit, sorted by value (SVG).",
        documentation: """
            Rows with a missing value are left out; top keeps the largest n (0: all). The figure
            grows to give each row 18 pixels (height is a minimum). The axis spans the values
            (a dot's position, not a bar's length, carries the value), or starts at zero with
            from_zero: true.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "one row per unit")],
        outputs: FigureFrame.output,
        params: [ParamSpec("label", .string, required: true, summary: "the unit's name"),
                 ParamSpec("value", .string, required: true, summary: "the value ranked"),
                 ParamSpec("top", .int, default: .int(0), summary: "show the largest n (0: all)"),
                 ParamSpec("from_zero", .bool, default: .bool(false), summary: "start the axis at zero")] + FigureFrame.params
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let values = try FigureFrame.numbers(table, context, "value")
        let names = try FigureFrame.labels(table, context, "label").of
        var rows = (0..<table.rowCount).filter { !values[$0].isNaN && names[$0] != nil }.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        let top = context.int("top")!
        guard top >= 0 else {
            throw StageFailure("top must be a number of rows to keep (or 0 for all); it is \(top). For the smallest rows, rank the negated value")
        }
        if top > 0 { rows = Array(rows.prefix(Int(top))) }
        guard !rows.isEmpty else { throw StageFailure("no row has both a \(context.string("label")!) and a \(context.string("value")!)") }
        var frame = try FigureFrame(context, minimumHeight: 48 + 56 + 18 * Double(rows.count))
        frame.left = 40 + (rows.map { FigureFrame.textWidth(names[$0]!) }.max() ?? 0)
        let x = LinearScale(covering: rows.map { values[$0] }, range: (frame.left, frame.right), includeZero: context.bool("from_zero")!)
        let step = (frame.bottom - frame.top) / Double(rows.count)
        frame.horizontalAxis(x, label: FigureFrame.axisLabel(context, "x_label", default: context.string("value")!))
        for (rank, row) in rows.enumerated() {
            let y = frame.top + step * (Double(rank) + 0.5)
            frame.svg.element("line", ["class": "guide", "x1": frame.left, "x2": x(values[row]), "y1": y, "y2": y, "stroke": "#dddddd"])
            frame.svg.element("circle", ["class": "dot", "data-label": names[row]!, "cx": x(values[row]), "cy": y, "r": 5, "fill": FigureFrame.color(0)])
            frame.svg.element("text", ["x": frame.left - 8, "y": y + 4, "text-anchor": "end", "fill": "#333333"], text: names[row]!)
        }
        return frame.artifact
    }
}
