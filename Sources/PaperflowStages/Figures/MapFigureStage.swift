import Foundation
import PaperflowCore
import PaperflowData

/// `figures.map`: a choropleth of polygons (China's provinces from Natural Earth) or a point map
/// of places (prefecture seats from GeoNames) sized and coloured by columns of a table — the
/// first figure of most economic-geography papers. Albers equal-area projection fitted to the
/// features; classes by quantiles or fixed breaks, ColorBrewer palettes chosen by the data's
/// signs (`ColorClasses`); the attribution the boundary data require printed under the map.
public struct MapFigureStage: Stage {
    public static let id = "figures.map"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Choropleth or point map from GeoJSON features joined to a table (SVG).",
        documentation: """
            geometry is a GeoJSON FeatureCollection (io.file of Workflows/data/geo/…): polygons make
            a choropleth, points a symbol map over the optional base polygons. Rows join features
            on key (table columns) = feature_key (feature properties); a row that matches no
            feature is reported, two rows for one feature are an error. value is classed into
            colours: quantile classes (type 7, as classInt's style = "quantile") or fixed breaks,
            intervals closed on the right; palette auto is RdBu when the values lie on both sides
            of zero (⌈classes/2⌉ classes each side, 0 a break) and YlGnBu otherwise. size scales
            point areas (largest: max_radius). label_top writes the label property of the n
            features with the largest |value| (or size) where it does not overlap. The caption
            line credits the data: attribution, else the inputs' "attribution" members. The
            classes output lists each drawn feature's key, value, class and colour.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "one row per feature"),
                 PortSpec("geometry", summary: "GeoJSON: polygons or points, joined to the rows"),
                 PortSpec("base", optional: true, summary: "GeoJSON polygons drawn underneath (a point map's outline)")],
        outputs: FigureFrame.output + [PortSpec("classes", kind: .table, fileName: "classes.pftable", summary: "key, value, class, colour of each drawn feature")],
        params: [ParamSpec("key", .either(.string, .list(.string)), required: true, summary: "table column(s) that name the feature"),
                 ParamSpec("feature_key", .either(.string, .list(.string)), default: .string("code"), summary: "feature propert(ies) matched to key"),
                 ParamSpec("value", .string, default: .string(""), summary: "the column coloured by class"),
                 ParamSpec("size", .string, default: .string(""), summary: "points: the column their area shows"),
                 ParamSpec("classes", .int, default: .int(5), summary: "quantile classes (1–9)"),
                 ParamSpec("breaks", .list(.double), default: .list([]), summary: "fixed breaks between classes instead of quantiles"),
                 ParamSpec("palette", .oneOf(["auto", "sequential", "diverging"]), default: .string("auto"), summary: "colour ramp"),
                 ParamSpec("digits", .int, default: .int(-1), summary: "decimals in the legend (-1: from the span)"),
                 ParamSpec("legend_title", .string, default: .string(""), summary: "the legend's heading (default: the value column)"),
                 ParamSpec("label", .string, default: .string(""), summary: "feature property written beside labelled features"),
                 ParamSpec("label_top", .int, default: .int(0), summary: "label the n features with the largest |value| (or size)"),
                 ParamSpec("max_radius", .double, default: .double(12), summary: "points: the largest symbol's radius in pixels"),
                 ParamSpec("attribution", .string, default: .string(""), summary: "the data credit under the map (default: from the GeoJSON)")]
            + FigureFrame.params.filter { !["x_label", "y_label"].contains($0.name) }
    )

    public init() {}

    struct Symbol {
        var feature: Int
        var key: String
        var row: Int
        var value: Double
        var size: Double
    }

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try FigureFrame.table(context)
        let geometry = try GeoFeatures(context, port: "geometry")
        let base = (context.inputs["base"]?.isEmpty ?? true) ? nil : try GeoFeatures(context, port: "base")
        let valueName = context.string("value")!, sizeName = context.string("size")!
        let isPoints = geometry.features.allSatisfy { $0.point != nil }
        guard isPoints || geometry.features.allSatisfy({ $0.point == nil }) else {
            throw StageFailure("input 'geometry' mixes points and polygons; draw one kind per map (polygons as base)")
        }
        guard !valueName.isEmpty || (isPoints && !sizeName.isEmpty) else {
            throw StageFailure(isPoints ? "give value (colour) or size (area), or both" : "give value: the column the polygons are coloured by")
        }
        if !isPoints && !sizeName.isEmpty { throw StageFailure("size is for point maps; geometry holds polygons") }
        let symbols = try Self.join(table, geometry, context)
        guard !symbols.isEmpty else {
            let keys = context.strings("key")
            let example = try keys.map { try table.column($0, for: "key") }.map { $0.count > 0 ? $0[0].description : "" }.joined(separator: " / ")
            let featureExample = geometry.features.first.flatMap { GeoFeatures.key($0, context.strings("feature_key")) } ?? "nothing"
            throw StageFailure("no row matches a feature: key (\(keys.joined(separator: ", "))) holds e.g. \(example), feature_key (\(context.strings("feature_key").joined(separator: ", "))) e.g. \(featureExample); they must hold the same codes")
        }

        let classes = valueName.isEmpty ? nil : try ColorClasses(
            values: symbols.map(\.value), classes: Int(context.int("classes")!),
            breaks: (context.params["breaks"]?.listValue ?? []).compactMap(\.doubleValue),
            palette: ColorClasses.Palette(rawValue: context.string("palette")!)!)
        let digits = classes?.decimals(Int(context.int("digits")!)) ?? 2
        let legendTitle = context.string("legend_title")!.isEmpty ? (valueName.isEmpty ? sizeName : valueName) : context.string("legend_title")!
        let legendRows = classes.map { c in c.intervals.map { Self.intervalLabel($0, digits: digits) } } ?? []
        let legendWidth = 36 + max(LabelPlacement.width(of: legendTitle, fontSize: 12),
                                   (legendRows.map { LabelPlacement.width(of: $0 + " (000)", fontSize: 11) }.max() ?? 60) + 22)
        var frame = try FigureFrame(context, legendWidth: legendWidth)
        let attribution = Self.attribution(context, geometry, base)
        let captionLines = Self.wrap(attribution, width: frame.svg.width - 24, fontSize: 9)
        frame.left = 12
        frame.bottom = frame.svg.height - 16 - 12 * Double(captionLines.count)
        frame.top = context.string("title")!.isEmpty ? 16 : 40

        // The map spans every feature drawn, the base's outlines included.
        let positions = (geometry.features + (base?.features ?? [])).flatMap { feature in
            feature.polygons.flatMap { $0.flatMap { $0 } } + (feature.point.map { [$0] } ?? [])
        }
        let viewport = MapViewport(positions: positions, left: frame.left, top: frame.top, right: frame.right, bottom: frame.bottom)

        if let base {
            frame.svg.open(["class": "base"])
            for feature in base.features where !feature.polygons.isEmpty {
                frame.svg.element("path", ["class": "outline", "d": viewport.path(feature.polygons), "fill": "#f2f2f2", "fill-rule": "evenodd",
                                           "stroke": "#bdbdbd", "stroke-width": 0.6])
            }
            frame.svg.close()
        }
        let byFeature = Dictionary(uniqueKeysWithValues: symbols.map { ($0.feature, $0) })
        let color: (Symbol) -> String = { symbol in classes.map { $0.colors[$0.index(of: symbol.value)] } ?? FigureFrame.color(0) }
        var labels = LabelPlacement(left: frame.left, top: frame.top, right: frame.right, bottom: frame.bottom)
        var anyMissing = false
        var radius: [Int: Double] = [:]
        frame.svg.open(["class": "features"])
        if isPoints {
            let largest = max(symbols.map(\.size).max() ?? 1, 1e-300), maxRadius = context.double("max_radius")!
            guard maxRadius > 0, maxRadius <= 200 else { throw StageFailure("max_radius must be between 0 and 200 pixels; it is \(maxRadius)") }
            for symbol in symbols { radius[symbol.feature] = sizeName.isEmpty ? min(4.5, maxRadius) : max(1.5, maxRadius * (symbol.size / largest).squareRoot()) }
            // Largest first, so small symbols stay visible on top.
            for symbol in symbols.sorted(by: { radius[$0.feature]! != radius[$1.feature]! ? radius[$0.feature]! > radius[$1.feature]! : $0.feature < $1.feature }) {
                let point = geometry.features[symbol.feature].point!, (x, y) = viewport(point.lon, point.lat)
                frame.svg.element("circle", ["class": "symbol", "data-key": symbol.key, "cx": x, "cy": y, "r": radius[symbol.feature]!,
                                             "fill": color(symbol), "fill-opacity": 0.85, "stroke": "#4d4d4d", "stroke-width": 0.5])
                labels.occupy(circleAt: x, y, radius: radius[symbol.feature]!)
            }
        } else {
            let featureKeys = context.strings("feature_key")
            for (index, feature) in geometry.features.enumerated() {
                let key = GeoFeatures.key(feature, featureKeys) ?? ""
                let symbol = byFeature[index]
                anyMissing = anyMissing || symbol == nil
                frame.svg.element("path", ["class": "feature", "data-key": key, "data-class": symbol.flatMap { s in classes.map { $0.index(of: s.value) + 1 } } ?? 0,
                                           "d": viewport.path(feature.polygons), "fill": symbol.map(color) ?? "#d9d9d9", "fill-rule": "evenodd",
                                           "stroke": "#ffffff", "stroke-width": 0.6])
            }
        }
        frame.svg.close()
        try Self.drawLabels(&frame, &labels, context, geometry, symbols, viewport: viewport, radius: radius, sized: !sizeName.isEmpty && valueName.isEmpty)
        Self.drawLegend(&frame, title: legendTitle, classes: classes, rows: legendRows, symbols: symbols, noData: anyMissing,
                        sizes: isPoints && !sizeName.isEmpty ? (symbols.map(\.size).max() ?? 0, context.double("max_radius")!) : nil, digits: digits)
        for (line, text) in captionLines.enumerated() {
            frame.svg.element("text", ["class": "attribution", "x": 12.0, "y": frame.svg.height - 8 - 12 * Double(captionLines.count - 1 - line),
                                       "font-size": 9, "fill": "#555555"], text: text)
        }
        var outputs = frame.artifact
        outputs["classes"] = try Table([
            ("key", Column(string: symbols.map(\.key))),
            ("value", Column(double: symbols.map { valueName.isEmpty ? Double.nan : $0.value }, nanAsMissing: true)),
            ("class", Column(int64: symbols.map { s in classes.map { Int64($0.index(of: s.value) + 1) } })),
            ("color", Column(string: symbols.map(color))),
        ]).artifact
        return outputs
    }

    /// The rows matched to features, in feature order.
    static func join(_ table: Table, _ geometry: GeoFeatures, _ context: StageContext) throws -> [Symbol] {
        let keyColumns = try context.strings("key").map { try table.column($0, for: "key") }
        let featureKeys = context.strings("feature_key")
        guard keyColumns.count == featureKeys.count else {
            throw StageFailure("key names \(keyColumns.count) column(s) but feature_key \(featureKeys.count) propert(ies); give one property per column")
        }
        let valueName = context.string("value")!, sizeName = context.string("size")!
        let values = valueName.isEmpty ? nil : try table.numbers(valueName, for: "value")
        let sizes = sizeName.isEmpty ? nil : try table.numbers(sizeName, for: "size")
        var rowOf: [String: Int] = [:]
        for row in 0..<table.rowCount {
            guard keyColumns.allSatisfy({ !$0.isMissing(row) }) else { continue }
            if values?[row].isNaN == true || sizes?[row].isNaN == true { continue }
            if let size = sizes?[row], size < 0 {
                throw StageFailure("row \(row + 1) has \(sizeName) = \(size); a symbol's area cannot be negative")
            }
            let key = keyColumns.map { $0[row].description }.joined(separator: " / ")
            if let first = rowOf.updateValue(row, forKey: key) {
                throw StageFailure("rows \(first + 1) and \(row + 1) both have key \(key); one row per feature (aggregate or subset first)")
            }
        }
        var symbols: [Symbol] = [], seen: [String: Int] = [:]
        for (index, feature) in geometry.features.enumerated() {
            guard let key = GeoFeatures.key(feature, featureKeys) else { continue }
            if let first = seen.updateValue(index, forKey: key) {
                throw StageFailure("features \(first + 1) and \(index + 1) of 'geometry' both have \(featureKeys.joined(separator: " / ")) = \(key); choose a feature_key that tells them apart")
            }
            guard let row = rowOf.removeValue(forKey: key) else { continue }
            symbols.append(Symbol(feature: index, key: key, row: row, value: values?[row] ?? .nan, size: sizes?[row] ?? 1))
        }
        if !rowOf.isEmpty {
            let keys = rowOf.sorted { $0.value < $1.value }.map(\.key)
            context.report(.warning, "\(keys.count) row(s) match no feature by \(featureKeys.joined(separator: " / ")) and are not drawn: \(keys.prefix(8).joined(separator: ", "))\(keys.count > 8 ? ", …" : "")")
        }
        return symbols
    }

    static func intervalLabel(_ interval: (lower: Double, upper: Double), digits: Int) -> String {
        let format = "%.\(digits)f"
        let show: (Double) -> String = { let text = String(format: format, $0); return text.hasPrefix("-") ? "−" + text.dropFirst() : text }
        return interval.lower == interval.upper ? show(interval.lower) : "\(show(interval.lower)) – \(show(interval.upper))"
    }

    static func attribution(_ context: StageContext, _ geometry: GeoFeatures, _ base: GeoFeatures?) -> String {
        let given = context.string("attribution")!
        if !given.isEmpty { return given }
        return [base?.attribution ?? "", geometry.attribution].filter { !$0.isEmpty }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            .joined(separator: " ")
    }

    /// Words wrapped into lines no wider than `width`.
    static func wrap(_ text: String, width: Double, fontSize: Double) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if LabelPlacement.width(of: candidate, fontSize: fontSize) > width, !line.isEmpty { lines.append(line); line = String(word) } else { line = candidate }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    static func drawLabels(_ frame: inout FigureFrame, _ labels: inout LabelPlacement, _ context: StageContext, _ geometry: GeoFeatures,
                           _ symbols: [Symbol], viewport: MapViewport, radius: [Int: Double], sized: Bool) throws {
        let count = Int(context.int("label_top")!), property = context.string("label")!
        guard count != 0 else { return }
        guard count > 0 else { throw StageFailure("label_top must be a number of features to label (0: none); it is \(count)") }
        guard !property.isEmpty else { throw StageFailure("label_top needs label: the feature property to write (e.g. name_en)") }
        let ranked = symbols.sorted { a, b in
            let (x, y) = sized ? (a.size, b.size) : (abs(a.value), abs(b.value))
            return x != y ? x > y : a.feature < b.feature
        }.prefix(count)
        frame.svg.open(["class": "labels"])
        for symbol in ranked {
            let feature = geometry.features[symbol.feature]
            guard let text = feature.properties[property] else {
                throw StageFailure("feature \(symbol.feature + 1) of 'geometry' has no property '\(property)' to label it with")
            }
            let (x, y) = feature.point.map { viewport($0.lon, $0.lat) } ?? viewport.labelPoint(feature.polygons)
            guard let place = labels.place(text, besideCircleAt: x, y, radius: radius[symbol.feature] ?? 0) else { continue }
            frame.svg.element("text", ["class": "feature-label", "x": place.x, "y": place.y, "text-anchor": place.anchor, "font-size": 11,
                                       "fill": "#222222", "stroke": "#ffffff", "stroke-width": 2.5, "paint-order": "stroke"], text: text)
        }
        frame.svg.close()
        labels.reportLeftOut(context)
    }

    static func drawLegend(_ frame: inout FigureFrame, title: String, classes: ColorClasses?, rows: [String], symbols: [Symbol], noData: Bool,
                           sizes: (largest: Double, radius: Double)?, digits: Int) {
        let x = frame.right + 14
        var y = frame.top + 4
        frame.svg.open(["class": "legend"])
        frame.svg.element("text", ["class": "legend-title", "x": x, "y": y + 10, "font-weight": "bold", "fill": "#333333"], text: title)
        y += 20
        if let classes {
            var counts = [Int](repeating: 0, count: classes.colors.count)
            for symbol in symbols { counts[classes.index(of: symbol.value)] += 1 }
            for (index, row) in rows.enumerated() {
                frame.svg.element("rect", ["class": "key", "x": x, "y": y, "width": 16, "height": 12, "fill": classes.colors[index], "stroke": "#999999", "stroke-width": 0.5])
                frame.svg.element("text", ["x": x + 22, "y": y + 10, "font-size": 11, "fill": "#333333"], text: "\(row) (\(counts[index]))")
                y += 18
            }
            if noData {
                frame.svg.element("rect", ["class": "key no-data", "x": x, "y": y, "width": 16, "height": 12, "fill": "#d9d9d9", "stroke": "#999999", "stroke-width": 0.5])
                frame.svg.element("text", ["x": x + 22, "y": y + 10, "font-size": 11, "fill": "#333333"], text: "no data")
                y += 18
            }
        }
        if let sizes, sizes.largest > 0 {
            y += 8
            for fraction in [1.0, 0.25] {
                let r = max(1.5, sizes.radius * fraction.squareRoot())
                frame.svg.element("circle", ["class": "size-key", "cx": x + sizes.radius, "cy": y + sizes.radius, "r": r, "fill": "none", "stroke": "#4d4d4d"])
                let text = String(format: "%.\(max(0, digits))f", sizes.largest * fraction)
                frame.svg.element("text", ["x": x + 2 * sizes.radius + 6, "y": y + sizes.radius + 4, "font-size": 11, "fill": "#333333"], text: text)
                y += 2 * sizes.radius + 6
            }
        }
        frame.svg.close()
    }
}
