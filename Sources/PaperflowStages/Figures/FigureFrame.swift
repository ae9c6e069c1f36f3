import Foundation
import PaperflowCore
import PaperflowData

/// What every figure stage shares: size, title, axis labels, the plot area inside the margins,
/// the palette, and drawing axes and legends.
struct FigureFrame {
    /// Fonts with Chinese glyphs first, so 南京 and Nanjing both render (Noto Sans CJK ships in
    /// Debian's fonts-noto-cjk).
    static let fontFamily = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, DejaVu Sans, sans-serif"
    /// Okabe–Ito: distinguishable with colour-vision deficiency and in greyscale print.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    static let params = [
        ParamSpec("title", .string, default: .string(""), summary: "the figure's title"),
        ParamSpec("x_label", .string, default: .string(""), summary: "the horizontal axis title (default: the column)"),
        ParamSpec("y_label", .string, default: .string(""), summary: "the vertical axis title (default: the column)"),
        ParamSpec("width", .int, default: .int(720), summary: "pixels"),
        ParamSpec("height", .int, default: .int(440), summary: "pixels"),
        ParamSpec("subset", .string, default: .string(""), summary: "a condition: plot the rows where it is true"),
    ]

    static let output = [PortSpec("figure", kind: .text, fileName: "figure.svg", summary: "the figure (SVG)")]

    var svg: SVGDocument
    var title: String
    /// The plot area.
    var left = 72.0, top = 48.0, right: Double, bottom: Double

    /// - Parameter minimumHeight: the height the content needs (a dot chart's rows); the figure
    ///   is at least that tall whatever `height` says.
    init(_ context: StageContext, legendWidth: Double = 0, minimumHeight: Double = 0) throws {
        let width = Double(context.int("width")!)
        let height = max(Double(context.int("height")!), min(minimumHeight.rounded(.up), 10000))
        guard width >= 200, height >= 150, width <= 10000, height <= 10000 else {
            throw StageFailure("width and height must be between 200×150 and 10000×10000 pixels; they are \(Int(width))×\(Int(height))")
        }
        svg = SVGDocument(width: width, height: height)
        title = context.string("title")!
        right = width - 24 - legendWidth
        bottom = height - 56
        if !title.isEmpty { svg.element("text", ["class": "title", "x": width / 2, "y": 26.0, "text-anchor": "middle", "font-size": 16, "font-weight": "bold"], text: title) }
    }

    /// The rows to plot: the input table, subset.
    static func table(_ context: StageContext, port: String = "table") throws -> Table {
        try context.subset(try context.table(port))
    }

    /// A numeric column for a plot parameter.
    static func numbers(_ table: Table, _ context: StageContext, _ parameter: String) throws -> [Double] {
        try table.numbers(context.string(parameter)!, for: parameter)
    }

    /// Each row's label in column `parameter` (empty parameter: one group named ""), groups in order of first appearance.
    static func labels(_ table: Table, _ context: StageContext, _ parameter: String) throws -> (levels: [String], of: [String?]) {
        let name = context.string(parameter)!
        guard !name.isEmpty else { return ([""], [String?](repeating: "", count: table.rowCount)) }
        let (levels, rows) = try table.groups(name, for: parameter)
        var labels = [String?](repeating: nil, count: table.rowCount)
        for (level, members) in zip(levels, rows) { for row in members { labels[row] = level } }
        return (levels, labels)
    }

    /// A vertical value axis with gridlines and its title.
    mutating func valueAxis(_ scale: LinearScale, label: String) {
        svg.open(["class": "axis y"])
        for tick in scale.ticks {
            let y = scale(tick)
            svg.element("line", ["class": "grid", "x1": left, "x2": right, "y1": y, "y2": y, "stroke": "#e5e5e5"])
            svg.element("text", ["x": left - 8, "y": y + 4, "text-anchor": "end", "fill": "#333333"], text: scale.label(tick))
        }
        svg.element("line", ["x1": left, "x2": left, "y1": top, "y2": bottom, "stroke": "#333333"])
        svg.element("text", ["class": "axis-title", "transform": "translate(18 \(SVGDocument.number((top + bottom) / 2))) rotate(-90)",
                             "text-anchor": "middle", "fill": "#333333"], text: label)
        svg.close()
    }

    /// A horizontal axis: numeric ticks from `scale`, or category labels at `positions`.
    mutating func horizontalAxis(_ scale: LinearScale? = nil, categories: [(String, Double)] = [], label: String) {
        svg.open(["class": "axis x"])
        svg.element("line", ["x1": left, "x2": right, "y1": bottom, "y2": bottom, "stroke": "#333333"])
        for tick in scale?.ticks ?? [] {
            svg.element("line", ["x1": scale!(tick), "x2": scale!(tick), "y1": bottom, "y2": bottom + 5, "stroke": "#333333"])
            svg.element("text", ["x": scale!(tick), "y": bottom + 18, "text-anchor": "middle", "fill": "#333333"], text: scale!.label(tick))
        }
        for (name, x) in categories {
            svg.element("text", ["x": x, "y": bottom + 18, "text-anchor": "middle", "fill": "#333333"], text: name)
        }
        svg.element("text", ["class": "axis-title", "x": (left + right) / 2, "y": bottom + 42, "text-anchor": "middle", "fill": "#333333"], text: label)
        svg.close()
    }

    /// A legend of coloured keys, top right outside the plot area.
    mutating func legend(_ names: [String], colors: [String]? = nil) {
        guard names.count > 1 else { return }
        svg.open(["class": "legend"])
        for (index, name) in names.enumerated() {
            let y = top + Double(index) * 20
            let fill = colors.map { index < $0.count ? $0[index] : "#bbbbbb" } ?? Self.color(index)
            svg.element("rect", ["class": "key", "x": right + 14, "y": y, "width": 12, "height": 12, "fill": fill])
            svg.element("text", ["x": right + 32, "y": y + 10, "fill": "#333333"], text: name)
        }
        svg.close()
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// Tableau's 20 colours (as d3's schemeCategory20 lists them): pairs of a strong and a light
    /// tone, for 9 to 20 groups.
    static let wide = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
                       "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"]

    /// Distinct colours for `count` groups: Okabe–Ito up to 8, Tableau's 20 up to 20, never
    /// repeated (beyond 20 the caller draws the rest grey).
    static func categoricalColors(_ count: Int) -> [String] {
        count <= palette.count ? palette : wide
    }

    /// The legend's width for these names: keys, gap and the widest name.
    static func legendWidth(_ names: [String]) -> Double {
        guard names.count > 1 else { return 0 }
        let widest = names.map(textWidth).max() ?? 0
        return 40 + widest
    }

    /// A label's width at 12 px: about 7 px a character, 13 for CJK.
    static func textWidth(_ text: String) -> Double {
        text.unicodeScalars.reduce(0.0) { $0 + ($1.value > 0x2E80 ? 13 : 7) }
    }

    /// The axis title: the parameter, else the column's name.
    static func axisLabel(_ context: StageContext, _ parameter: String, default column: String) -> String {
        let given = context.string(parameter) ?? ""
        return given.isEmpty ? column : given
    }

    var artifact: [String: Artifact] { ["figure": .bytes(Data(svg.rendered(title: title).utf8))] }
}
