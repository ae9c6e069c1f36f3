import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The figure stages: each SVG parses as XML and has the marks its data implies; each renders
/// in headless Chromium to a non-blank screenshot of the figure's size.
@Suite("Figures", .serialized)
struct FigureTests {
    static let workflow = """
        workflow: f
        stages:
          firms: {uses: io.csv@2, with: {path: data/firms.csv}}
          branches: {uses: io.csv@2, with: {path: data/branches.csv}}
          places: {uses: io.csv@2, with: {path: data/places.csv}}
          exports: {uses: io.csv@2, with: {path: data/exports.csv}}
          density:
            uses: figures.density@1
            inputs: {table: firms.table}
            with: {value: rd_employees, group: ownership, title: "R&D employees by ownership"}
          box:
            uses: figures.box@1
            inputs: {table: firms.table}
            with: {value: rd_employees, group: region, title: "R&D employees by region", y_label: "% employees in R&D"}
          table3:
            uses: tables.crosstab@1
            inputs: {table: firms.table}
            with: {rows: region, columns: [ownership], cells: ["percent(exporter)"], column_total: false, totals: none}
          bars:
            uses: figures.bars@1
            inputs: {table: table3.values}
            with: {x: row, y: value, series: column, title: "Firms with export business (%)", y_label: "%", x_label: "region"}
          lines:
            uses: figures.lines@1
            inputs: {table: exports.table}
            with: {x: year, y: value, series: province, title: "出口额 Exports by province"}
          network:
            uses: networks.build@1
            inputs: {records: branches.table, nodes: places.table}
            with: {from: hq_city, to: branch_city, weight: employees, node_column: place}
          centrality:
            uses: networks.centrality@1
            inputs: {nodes: network.nodes, edges: network.edges}
          dots:
            uses: figures.dots@1
            inputs: {table: centrality.table}
            with: {label: node, value: strength, top: 15, title: "Cities by strength"}
          drawing:
            uses: figures.network@1
            inputs: {nodes: centrality.table, edges: network.edges}
            with: {group: tier, title: "Branch-office network"}
        """

    /// Three provinces' exports over 2002–2016 (one year missing for one of them).
    static var exports: String {
        var lines = ["province,year,value"]
        for (index, province) in ["江苏", "浙江", "广东"].enumerated() {
            for year in 2002...2016 where !(index == 2 && year == 2009) {
                lines.append("\(province),\(year),\(100 * (index + 1) + (year - 2002) * (10 + index * 5))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func run() throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/firms.csv", SurveyTableTests.firms)
        try project.write("data/exports.csv", exports)
        try project.copy(fixture: "networks/branches.csv", to: "data/branches.csv")
        try project.copy(fixture: "networks/places.csv", to: "data/places.csv")
        try project.write("Workflows/f.yaml", workflow)
        let run = try project.run("Workflows/f.yaml", registry: BuiltinStages.registry)
        guard run.summary.succeeded else {
            project.cleanUp()
            throw ExternalTool.ToolError(message: "figure workflow failed: \(run.record.stages.compactMap(\.message))")
        }
        return project
    }

    /// Elements of the SVG whose class attribute is `name`.
    static func marks(_ document: XMLDocument, _ name: String) throws -> [XMLElement] {
        try document.nodes(forXPath: "//*[@class='\(name)']").compactMap { $0 as? XMLElement }
    }

    @Test("each SVG parses and has the expected marks: a curve per group, a box per group, a bar per cell, a line per series, a dot per unit, a node per place")
    func marks() throws {
        let project = try Self.run()
        defer { project.cleanUp() }
        func svg(_ stage: String) throws -> XMLDocument {
            try XMLDocument(data: Data(contentsOf: project.root.appendingPathComponent("Artifacts/f/\(stage)/figure.svg")))
        }
        let density = try svg("density")
        #expect(try Self.marks(density, "density").map { $0.value(of: "data-group") } == ["foreign", "domestic"])
        #expect(try Self.marks(density, "key").count == 2)
        #expect(try density.rootElement()?.elements(forName: "title").first?.stringValue == "R&D employees by ownership")
        let box = try svg("box")
        let boxes = try Self.marks(box, "box")
        #expect(boxes.map { $0.value(of: "data-group") } == ["Beijing", "Shanghai", "Suzhou", "Shenzhen", "Dongguan"])
        #expect(boxes.allSatisfy { $0.elements(forName: "rect").count == 1 && $0.elements(forName: "line").count == 2 })
        let bars = try svg("bars")
        #expect(try Self.marks(bars, "bar").count == 10)
        #expect(try Self.marks(bars, "series").map { $0.value(of: "data-series") } == ["foreign", "domestic"])
        let lines = try svg("lines")
        let paths = try Self.marks(lines, "line")
        #expect(paths.map { $0.value(of: "data-series") } == ["江苏", "浙江", "广东"])
        // 15 points for two provinces, 14 for the one with a missing year.
        #expect(paths.map { $0.value(of: "d")!.split(separator: " ").count } == [15, 15, 14])
        #expect(try Self.marks(lines, "point").count == 44)
        let dots = try svg("dots")
        let ranked = try Self.marks(dots, "dot")
        #expect(ranked.count == 15)
        #expect(ranked.first?.value(of: "data-label") == "Nanjing")
        let drawing = try svg("drawing")
        #expect(try Self.marks(drawing, "node").count == 25)
        let edges = try Self.marks(drawing, "edge")
        let pairs = Set(edges.map { [$0.value(of: "data-source")!, $0.value(of: "data-target")!].sorted() })
        #expect(edges.count == pairs.count)
        let network = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/f/network/edges.pftable"))
        let tied = Set((0..<network.rowCount).map { [network["source"]![$0].description, network["target"]![$0].description].sorted() })
        #expect(pairs == tied)
        // Node positions stay inside the canvas.
        for node in try Self.marks(drawing, "node") {
            let x = Double(node.value(of: "cx")!)!, y = Double(node.value(of: "cy")!)!
            #expect((0...720).contains(x) && (0...440).contains(y))
        }
    }

    @Test("a dot chart grows with its rows, spans its values rather than starting at zero, and refuses a negative top")
    func dotChart() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        // 60 cities whose values lie between 0.115 and 0.13 (they collapsed into one spot on an axis from 0).
        var lines = ["city,value"]
        for i in 0..<60 { lines.append("city\(i),\(String(format: "%.5f", 0.115 + 0.00025 * Double(i)))") }
        try project.write("data/cities.csv", lines.joined(separator: "\n") + "\n")
        try project.write("Workflows/d.yaml", """
            workflow: d
            stages:
              cities: {uses: io.csv@2, with: {path: data/cities.csv}}
              dots: {uses: figures.dots@1, inputs: {table: cities.table}, with: {label: city, value: value}}
              zero: {uses: figures.dots@1, inputs: {table: cities.table}, with: {label: city, value: value, top: 5, from_zero: true}}
              bad: {uses: figures.dots@1, inputs: {table: cities.table}, with: {label: city, value: value, top: -30}}
            """)
        let run = try project.run("Workflows/d.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "bad" }?.message
                == "top must be a number of rows to keep (or 0 for all); it is -30. For the smallest rows, rank the negated value")
        /// The height the `<svg>` element declares.
        func height(_ stage: String) throws -> Double? {
            let text = try project.read("Artifacts/d/\(stage)/figure.svg")
            return text.firstMatch(of: /<svg [^>]*height="([0-9.]+)"/).flatMap { Double($0.1) }
        }
        let document = try XMLDocument(data: Data(contentsOf: project.root.appendingPathComponent("Artifacts/d/dots/figure.svg")))
        #expect(try height("dots") == 48 + 56 + 18 * 60)
        let dots = try Self.marks(document, "dot")
        #expect(dots.count == 60)
        let ys = dots.map { Double($0.value(of: "cy")!)! }
        #expect(zip(ys, ys.dropFirst()).allSatisfy { $1 - $0 >= 17.9 }, "rows at least 18 px apart")
        // The axis spans the data: the largest and smallest values sit across most of the plot width.
        let xs = dots.map { Double($0.value(of: "cx")!)! }
        let width = 720.0 - 24
        #expect((xs.max()! - xs.min()!) > 0.5 * width, "\(xs.min()!)…\(xs.max()!)")
        #expect(Set(xs.map { ($0 * 10).rounded() }).count == 60)
        // From zero on request: the same values bunch at the right end.
        let zero = try XMLDocument(data: Data(contentsOf: project.root.appendingPathComponent("Artifacts/d/zero/figure.svg")))
        let zx = try Self.marks(zero, "dot").map { Double($0.value(of: "cx")!)! }
        #expect(zx.max()! - zx.min()! < 20)
        #expect(try height("zero") == 440)
    }

    @Test("each figure renders in headless Chromium: a 720×440 screenshot with drawn pixels in several colours")
    func screenshots() throws {
        let project = try Self.run()
        defer { project.cleanUp() }
        for stage in ["density", "box", "bars", "lines", "dots", "drawing"] {
            let url = project.root.appendingPathComponent("Artifacts/f/\(stage)/figure.svg")
            let image = try Chromium.screenshot(url, width: 720, height: 440)
            #expect(image.width == 720 && image.height == 440, "\(stage)")
            let drawn = image.pixels()
            #expect(drawn > 720 * 440 / 100, "\(stage): only \(drawn) drawn pixels")
            #expect(image.colorCount > 8, "\(stage): \(image.colorCount) colours")
        }
    }
}

extension XMLElement {
    /// An attribute's value. (FoundationXML's `attribute(forName:)` finds nothing in a document
    /// with a default namespace, as every SVG has.)
    func value(of name: String) -> String? { attributes?.first { $0.name == name }?.stringValue }
}
