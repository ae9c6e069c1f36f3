import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// `figures.scatter` and `figures.map`: the fit line against R's `predict(lm, interval =
/// "confidence")`, map classes against R's `quantile(type = 7)` + `cut(include.lowest = TRUE)`,
/// every feature drawn once, SVG goldens (Tests/Fixtures/figures/, regenerate with
/// PAPERFLOW_UPDATE_GOLDENS=1), and in headless Chromium a drawn picture whose labels' boxes
/// (as the browser measures them) overlap neither each other nor the points.
@Suite("Maps and scatter plots", .serialized)
struct MapScatterTests {
    static var repository: URL { Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent() }

    /// 40 points: y = 0.8 + 0.5 log10(x) + noise, x spread over three decades, three groups.
    static var points: String {
        var generator = SplitMix(seed: 20261206)
        var lines = ["name,x,y,group"]
        for i in 0..<40 {
            let x = pow(10, 1 + 3 * generator.uniform())
            let y = 0.8 + 0.5 * log10(x) + 0.4 * (generator.uniform() - 0.5)
            lines.append("p\(i),\(String(format: "%.6f", x)),\(String(format: "%.6f", y)),\(["north", "south", "west"][i % 3])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A scratch project with the shipped geography and the scatter/map workflow.
    static func project(_ stages: String, data: [String: String] = [:]) throws -> TemporaryProject {
        let project = try TemporaryProject()
        for folder in ["geo", "geography", "china"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent("Workflows/data/\(folder)"),
                                             to: project.root.appendingPathComponent("Workflows/data/\(folder)"))
        }
        for (path, text) in data { try project.write(path, text) }
        try project.write("Workflows/m.yaml", "workflow: m\nstages:\n" + stages)
        return project
    }

    static func svg(_ project: TemporaryProject, _ stage: String) throws -> XMLDocument {
        try XMLDocument(data: Data(contentsOf: project.root.appendingPathComponent("Artifacts/m/\(stage)/figure.svg")))
    }

    static func table(_ project: TemporaryProject, _ stage: String, _ file: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/m/\(stage)/\(file)"))
    }

    /// Runs R code and returns its standard output's numbers, one per whitespace-separated field.
    static func r(_ code: String, in project: TemporaryProject) throws -> [Double] {
        try ExternalTool.rscript(code, in: project.root).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
    }

    static let scatterStages = """
          points: {uses: io.csv@2, with: {path: data/points.csv}}
          linear:
            uses: figures.scatter@1
            inputs: {table: points.table}
            with: {x: x, y: y, group: group, label: name, label_points: [p0, p1, p2, p3, p4, p5], fit: true, title: "y on x"}
          logarithmic:
            uses: figures.scatter@1
            inputs: {table: points.table}
            with: {x: x, y: y, label: name, label_points: ["*"], fit: true, log_x: true, level: 0.9, title: "y on log x"}

        """

    @Test("the fit line and its band equal R's predict(lm, interval = confidence) within 1e-10, on a linear and a log axis")
    func scatterFitAgainstR() throws {
        let project = try Self.project(Self.scatterStages, data: ["data/points.csv": Self.points])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        for (stage, formula, level) in [("linear", "y ~ x", 0.95), ("logarithmic", "y ~ log10(x)", 0.9)] {
            let fit = try Self.table(project, stage, "fit.pftable")
            #expect(fit.rowCount == 101)
            let xs = try #require(fit["x"]?.numericValues())
            try project.write("grid-\(stage).csv", "x\n" + xs.map { String(format: "%.17g", $0) }.joined(separator: "\n") + "\n")
            let reference = try Self.r("""
                d <- read.csv("data/points.csv"); g <- read.csv("grid-\(stage).csv")
                p <- predict(lm(\(formula), data = d), newdata = g, interval = "confidence", level = \(level))
                cat(sprintf("%.17g", t(p)), sep = "\\n")
                """, in: project)
            #expect(reference.count == 3 * 101)
            var worst = 0.0
            for (index, column) in ["fit", "lower", "upper"].enumerated() {
                let got = try #require(fit[column]?.numericValues())
                for row in 0..<101 { worst = max(worst, abs(got[row] - reference[3 * row + index])) }
            }
            #expect(worst <= 1e-10, "\(stage): worst difference \(worst)")
        }
    }

    @Test("a scatter's marks: a point per row, the labels asked for, a band and a line; the SVG equals its golden")
    func scatterMarks() throws {
        let project = try Self.project(Self.scatterStages, data: ["data/points.csv": Self.points])
        defer { project.cleanUp() }
        _ = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        let linear = try Self.svg(project, "linear")
        #expect(try FigureTests.marks(linear, "point").count == 40)
        #expect(try FigureTests.marks(linear, "band").count == 1 && FigureTests.marks(linear, "fit").count == 1)
        #expect(try FigureTests.marks(linear, "key").count == 3)
        let labels = try FigureTests.marks(linear, "point-label").map { $0.stringValue ?? "" }
        #expect(Set(labels).isSubset(of: ["p0", "p1", "p2", "p3", "p4", "p5"]) && labels.count >= 5, "\(labels)")
        // Log axis: ticks at decades, 10 to 10000.
        let logarithmic = try Self.svg(project, "logarithmic")
        let ticks = try logarithmic.nodes(forXPath: "//*[@class='axis x']/*[local-name()='text']").compactMap { $0.stringValue }
        #expect(ticks.prefix(4) == ["10", "100", "1000", "10000"], "\(ticks)")
        try Goldens.check(try project.read("Artifacts/m/linear/figure.svg"), "scatter.svg", folder: "figures")
    }

    @Test("a scatter refuses a non-positive value on a log axis and a label no row holds, naming the row and the name")
    func scatterErrors() throws {
        let project = try Self.project("""
              points: {uses: io.csv@2, with: {path: data/points.csv}}
              zero: {uses: figures.scatter@1, inputs: {table: points.table}, with: {x: x, y: y, log_y: true}}
              missing: {uses: figures.scatter@1, inputs: {table: points.table}, with: {x: x, y: y, label: name, label_points: [p1, nowhere]}}
            """, data: ["data/points.csv": "name,x,y\np1,1,2\np2,2,0\np3,3,1\n"])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "zero" }?.message
                == "row 2 has y = 0.0, which a logarithmic axis cannot show; leave such rows out (subset: \"y > 0\") or set log_y: false")
        #expect(run.record.stages.first { $0.stage == "missing" }?.message == "label_points names 'nowhere', which no plotted row of name holds")
    }

    static let provinceStages = """
          boundaries: {uses: io.file@1, with: {path: Workflows/data/geo/provinces/china_provinces.geojson}}
          provinces: {uses: io.csv@2, with: {path: Workflows/data/geography/provinces.csv, schema: {province_code: string}}}
          values: {uses: io.csv@2, with: {path: data/values.csv, schema: {province_code: string}}}
          quintiles:
            uses: figures.map@1
            inputs: {table: values.table, geometry: boundaries.file}
            with: {key: province_code, value: share, classes: 5, label: name_en, label_top: 8, title: "Share by province"}
          diverging:
            uses: figures.map@1
            inputs: {table: values.table, geometry: boundaries.file}
            with: {key: province_code, value: change, classes: 6, title: "Change by province"}
          fixed:
            uses: figures.map@1
            inputs: {table: values.table, geometry: boundaries.file}
            with: {key: province_code, value: change, breaks: [-1, 0, 1.5], title: "Fixed breaks"}

        """

    /// The 31 mainland provinces with a share (one-signed) and a change (both signs), from their codes.
    static var provinceValues: String {
        let codes = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45",
                     "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
        return "province_code,share,change\n" + codes.enumerated().map { index, code in
            "\(code),\(String(format: "%.3f", 0.5 + Double((index * 7) % 31) / 10)),\(String(format: "%.3f", Double((index * 11) % 31 - 12) / 8))"
        }.joined(separator: "\n") + "\n"
    }

    @Test("a choropleth draws every province once, classes as R's quantile + cut, fills from the class's palette, no data in grey, attribution printed")
    func choroplethClasses() throws {
        let project = try Self.project(Self.provinceStages, data: ["data/values.csv": Self.provinceValues])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let geo = try String(contentsOf: project.root.appendingPathComponent("Workflows/data/geo/provinces/china_provinces.geojson"), encoding: .utf8)
        let codes = geo.matches(of: /"code":"([0-9]+)"/).map { String($0.1) }
        #expect(codes.count == 34)
        let expected = try Self.r("""
            d <- read.csv("data/values.csv", colClasses = c("character", "numeric", "numeric"))
            q <- cut(d$share, unique(quantile(d$share, seq(0, 1, length.out = 6), type = 7)), include.lowest = TRUE)
            neg <- d$change[d$change < 0]; pos <- d$change[d$change >= 0]
            b <- c(quantile(neg, c(0, 1/3, 2/3), type = 7), 0, quantile(pos, c(1/3, 2/3, 1), type = 7))
            v <- cut(d$change, b, include.lowest = TRUE)
            f <- cut(d$change, c(min(d$change), -1, 0, 1.5, max(d$change)), include.lowest = TRUE)
            cat(as.integer(q), as.integer(v), as.integer(f), sep = "\\n")
            """, in: project).map(Int.init)
        #expect(expected.count == 93)
        let dataCodes = Self.provinceValues.split(separator: "\n").dropFirst().map { String($0.prefix(2)) }
        let palettes = [
            "quintiles": ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
            "diverging": ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
            "fixed": ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
        ]
        for (offset, stage) in ["quintiles", "diverging", "fixed"].enumerated() {
            let document = try Self.svg(project, stage)
            let features = try FigureTests.marks(document, "feature")
            let keys = features.map { $0.value(of: "data-key")! }
            #expect(keys == codes, "\(stage): every feature once, in the file's order")
            let classOf = Dictionary(uniqueKeysWithValues: zip(keys, features.map { Int($0.value(of: "data-class")!)! }))
            let fillOf = Dictionary(uniqueKeysWithValues: zip(keys, features.map { $0.value(of: "fill")! }))
            for (index, code) in dataCodes.enumerated() {
                let want = expected[offset * 31 + index]
                #expect(classOf[code] == want, "\(stage) \(code): class \(classOf[code] ?? -1), R says \(want)")
                #expect(fillOf[code] == palettes[stage]![want - 1], "\(stage) \(code)")
            }
            for code in ["71", "81", "82"] {
                #expect(classOf[code] == 0 && fillOf[code] == "#d9d9d9", "\(stage) \(code) has no data")
            }
            let attribution = try FigureTests.marks(document, "attribution").compactMap(\.stringValue).joined(separator: " ")
            #expect(attribution == "Boundaries: Made with Natural Earth (public domain); the Macao outline possibly © OpenStreetMap contributors (ODbL).")
            let classes = try Self.table(project, stage, "classes.pftable")
            #expect(classes.rowCount == 31)
        }
        try Goldens.check(try project.read("Artifacts/m/quintiles/figure.svg"), "choropleth.svg", folder: "figures")
    }

    static let cityStages = """
          outlines: {uses: io.file@1, with: {path: Workflows/data/geo/provinces/china_provinces.geojson}}
          seats: {uses: io.file@1, with: {path: Workflows/data/geo/prefecture_points/china_prefecture_points.geojson}}
          city_values: {uses: io.csv@2, with: {path: data/cities.csv, schema: {province_code: string}}}
          cities:
            uses: figures.map@1
            inputs: {table: city_values.table, geometry: seats.file, base: outlines.file}
            with: {key: [city, province_code], feature_key: [name_en, province], value: value, size: size, label: name_en, label_top: 10, title: "Cities"}

        """

    static var cityValues: String {
        let cities = try! String(contentsOf: repository.appendingPathComponent("Workflows/data/geography/cities.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().prefix(24).map { $0.split(separator: ",").map(String.init) }
        return "city,province_code,value,size\n" + cities.enumerated().map { index, row in
            "\(row[0]),\(row[2]),\(Double(index) / 10),\(1 + index * index)"
        }.joined(separator: "\n") + "\nAtlantis,99,1,1\n"
    }

    @Test("a point map draws each matched city once at its own seat (Suzhou in Jiangsu, not Anhui), area by size, and reports a row with no point")
    func pointMap() throws {
        let project = try Self.project(Self.cityStages, data: ["data/cities.csv": Self.cityValues])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let warnings = run.events.compactMap { recorded -> String? in
            if case let .warning(_, message) = recorded.event { return message }
            return nil
        }
        #expect(warnings == ["1 row(s) match no feature by name_en / province and are not drawn: Atlantis / 99"])
        let document = try Self.svg(project, "cities")
        let symbols = try FigureTests.marks(document, "symbol")
        #expect(symbols.count == 24)
        #expect(Set(symbols.map { $0.value(of: "data-key")! }).count == 24)
        #expect(try FigureTests.marks(document, "outline").count == 34)
        // Area ∝ size: r = 12 √(size / largest), at least 1.5.
        let largest = 1.0 + 23 * 23
        let values = Self.cityValues.split(separator: "\n").dropFirst().prefix(24).map { $0.split(separator: ",").map(String.init) }
        for row in values {
            let symbol = try #require(symbols.first { $0.value(of: "data-key") == "\(row[0]) / \(row[1])" })
            let r = Double(symbol.value(of: "r")!)!
            #expect(abs(r - max(1.5, 12 * (Double(row[3])! / largest).squareRoot())) < 0.006, "\(row[0])")
        }
        // Suzhou, Jiangsu (120.6°E) lies east of Nanjing (118.8°E); Suzhou, Anhui (117.0°E) would lie west.
        let east = { (key: String) in symbols.first { $0.value(of: "data-key") == key }.flatMap { Double($0.value(of: "cx")!) } ?? 0 }
        #expect(east("Suzhou / 32") > east("Nanjing / 32") + 10)
        let classes = try Self.table(project, "cities", "classes.pftable")
        #expect(classes.rowCount == 24)
        try Goldens.check(try project.read("Artifacts/m/cities/figure.svg"), "point-map.svg", folder: "figures")
    }

    @Test("a map refuses two rows for one feature and a key that matches no feature, with the rows, the values and the fix")
    func mapErrors() throws {
        let project = try Self.project("""
              boundaries: {uses: io.file@1, with: {path: Workflows/data/geo/provinces/china_provinces.geojson}}
              twice_values: {uses: io.csv@2, with: {path: data/twice.csv, schema: {province_code: string}}}
              values: {uses: io.csv@2, with: {path: data/values.csv, schema: {province_code: string}}}
              twice: {uses: figures.map@1, inputs: {table: twice_values.table, geometry: boundaries.file}, with: {key: province_code, value: share}}
              nothing: {uses: figures.map@1, inputs: {table: values.table, geometry: boundaries.file}, with: {key: province_code, feature_key: name_en, value: share}}
            """, data: ["data/twice.csv": "province_code,share\n11,1\n12,2\n11,3\n", "data/values.csv": "province_code,share\n11,1\n12,2\n"])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "twice" }?.message == "rows 1 and 3 both have key 11; one row per feature (aggregate or subset first)")
        #expect(run.record.stages.first { $0.stage == "nothing" }?.message
                == "no row matches a feature: key (province_code) holds e.g. 11, feature_key (name_en) e.g. Beijing; they must hold the same codes")
    }

    @Test("in headless Chromium the scatter and the maps draw a picture, and no label's box overlaps another label or a point")
    func labelsDoNotOverlap() throws {
        let project = try Self.project(Self.scatterStages + Self.provinceStages + Self.cityStages,
                                       data: ["data/points.csv": Self.points, "data/values.csv": Self.provinceValues, "data/cities.csv": Self.cityValues])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        for (stage, labelClass) in [("linear", "point-label"), ("logarithmic", "point-label"), ("quintiles", "feature-label"), ("cities", "feature-label")] {
            let url = project.root.appendingPathComponent("Artifacts/m/\(stage)/figure.svg")
            let image = try Chromium.screenshot(url, width: 720, height: 440)
            #expect(image.pixels() > 720 * 440 / 20, "\(stage): only \(image.pixels()) drawn pixels")
            #expect(image.colorCount > 8, "\(stage)")
            let boxes = try Self.browserBoxes(url, labelClass: labelClass, in: project)
            #expect(boxes.labels >= 4, "\(stage): \(boxes.labels) labels")
            #expect(boxes.overlaps.isEmpty, "\(stage): \(boxes.overlaps)")
        }
    }

    @Test("a network of 95 districts in 13 cities: 13 distinct colours, each city a cluster, at most 15 names and none overlapping in Chromium")
    func largeNetworkByGroup() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        for folder in ["geography"] {
            try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Workflows/data/\(folder)"),
                                             to: project.root.appendingPathComponent("Workflows/data/\(folder)"))
        }
        let text = try String(contentsOf: Self.repository.appendingPathComponent("Workflows/shen-2025.yaml"), encoding: .utf8)
        try project.write("Workflows/shen-2025.yaml", text)
        let run = try project.run("Workflows/shen-2025.yaml", registry: BuiltinStages.registry, overrides: ["params.scale=small"])
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let url = project.root.appendingPathComponent("Artifacts/shen-2025/district_figure/figure.svg")
        let document = try XMLDocument(data: Data(contentsOf: url))
        let nodes = try FigureTests.marks(document, "node")
        #expect(nodes.count == 95)
        let cityOf = { (node: XMLElement) in String(node.value(of: "data-node")!.split(separator: " ").first!) }
        var fills: [String: Set<String>] = [:], centres: [String: (Double, Double, Int)] = [:]
        for node in nodes {
            fills[cityOf(node), default: []].insert(node.value(of: "fill")!)
            let (x, y) = (Double(node.value(of: "cx")!)!, Double(node.value(of: "cy")!)!)
            let sum = centres[cityOf(node)] ?? (0, 0, 0)
            centres[cityOf(node)] = (sum.0 + x, sum.1 + y, sum.2 + 1)
        }
        #expect(fills.count == 13 && fills.values.allSatisfy { $0.count == 1 })
        #expect(Set(fills.values.map { $0.first! }).count == 13, "one colour per city, none repeated")
        // Each district lies nearer its own city's centre than any other city's.
        let centre = centres.mapValues { ($0.0 / Double($0.2), $0.1 / Double($0.2)) }
        let misplaced = nodes.filter { node in
            let (x, y) = (Double(node.value(of: "cx")!)!, Double(node.value(of: "cy")!)!)
            let nearest = centre.min { hypot($0.value.0 - x, $0.value.1 - y) < hypot($1.value.0 - x, $1.value.1 - y) }!.key
            return nearest != cityOf(node)
        }
        #expect(misplaced.count <= 5, "\(misplaced.map { $0.value(of: "data-node")! })")
        let boxes = try Self.browserBoxes(url, labelClass: "node-label", in: project)
        #expect((1...15).contains(boxes.labels), "\(boxes.labels) names")
        #expect(boxes.overlaps.filter { !$0.contains("mark") }.isEmpty, "\(boxes.overlaps)")
    }

    /// The labels' bounding boxes as Chromium lays them out (`getBBox`), checked pairwise and
    /// against every point mark (circles); the page writes what it found into the DOM.
    static func browserBoxes(_ svg: URL, labelClass: String, in project: TemporaryProject) throws -> (labels: Int, overlaps: [String]) {
        let markup = try String(contentsOf: svg, encoding: .utf8).replacingOccurrences(of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", with: "")
        let page = try project.write("boxes-\(UUID().uuidString).html", """
            <!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">\(markup)
            <pre id="result"></pre>
            <script>
            const labels = [...document.querySelectorAll("text.\(labelClass)")].map(t => [t.textContent, t.getBBox()]);
            const marks = [...document.querySelectorAll("circle.point, circle.symbol, circle.node")].map(c => c.getBBox());
            const overlap = (a, b) => a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
            const found = [];
            labels.forEach(([name, box], i) => {
              labels.slice(i + 1).forEach(([other, second]) => { if (overlap(box, second)) found.push(name + " × " + other); });
              marks.forEach((mark, j) => { if (overlap(box, mark)) found.push(name + " × mark " + j); });
            });
            document.getElementById("result").textContent = "BOXES " + labels.length + " " + JSON.stringify(found) + " END";
            </script></body></html>
            """)
        let (dom, _) = try Chromium.load(page)
        guard let match = dom.firstMatch(of: /BOXES ([0-9]+) (.*) END/) else { throw ExternalTool.ToolError(message: "no result in the page: \(dom.suffix(500))") }
        let overlaps = try JSONDecoder().decode([String].self, from: Data(String(match.2).utf8))
        return (Int(match.1)!, overlaps)
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded uniform stream for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
