import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// `report.html` from a real `paperflow run`, rebuilt by `paperflow report`, and opened in
/// headless Chromium.
@Suite("HTML report", .serialized)
struct ReportTests {
    static let workflow = """
        workflow: r
        title: "Provincial panel: fixed effects by region"
        paper: {authors: [Liu Junyang, Zhu Shengjun], year: 2021, title: "Multi-scalar knowledge spillovers", doi: 10.18306/dlkxjz.2021.03.004}
        stages:
          data: {uses: io.csv@2, with: {path: data/m2_panel.csv}}
          model:
            uses: models.fe@2
            inputs: {table: data.table}
            with: {formula: "y ~ x1 + x2 | province + year", vcov: {cluster: [province]}, split: region}
          table:
            uses: tables.regression@1
            inputs: {fits: [model.fit]}
            with: {caption: "Fixed effects by region", labels: {x1: "Density (firm)"}}
          means:
            uses: tables.crosstab@1
            inputs: {table: data.table}
            with: {rows: region, cells: ["mean(y)", "n()"], caption: "Mean y by region"}
          spread:
            uses: figures.box@1
            inputs: {table: data.table}
            with: {value: y, group: region, title: "y by region"}
          trend:
            uses: figures.lines@1
            inputs: {table: data.table}
            with: {x: year, y: y, series: province, subset: "province == 1 | province == 12 | province == 20", title: "y over the years"}
        """

    static func project() throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "models/m2_panel.csv", to: "data/m2_panel.csv")
        try project.write("Workflows/r.yaml", workflow)
        return project
    }

    @Test("a run writes report.html: title, citation, DAG, every table and figure, one provenance row per stage; paperflow report rebuilds it byte for byte")
    func written() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        let run = try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root, timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        let path = project.root.appendingPathComponent("Artifacts/r/report.html").path
        #expect(run.stdout.contains("report: \(path)"))
        let page = try project.read("Artifacts/r/report.html")
        #expect(page.contains("<h1>Provincial panel: fixed effects by region</h1>"))
        #expect(page.contains("Liu Junyang, Zhu Shengjun (2021). Multi-scalar knowledge spillovers. doi: <a href=\"https://doi.org/10.18306/dlkxjz.2021.03.004\">"))
        #expect(page.components(separatedBy: "<section class=\"table\"").count - 1 == 2)
        #expect(page.components(separatedBy: "<figure class=\"figure\"").count - 1 == 2)
        // The stage graph runs left to right: every dependency ends to the right of where it starts.
        let dagData = try #require(page.firstMatch(of: /alt="stage graph of r" src="data:image\/svg\+xml;base64,([A-Za-z0-9+\/=]+)"/))
        let dag = String(decoding: try #require(Data(base64Encoded: String(dagData.1))), as: UTF8.self)
        let edges = dag.matches(of: /class="dependency" d="M([0-9.]+),[0-9.]+ C[0-9., ]+ ([0-9.]+),[0-9.]+"/)
        #expect(!edges.isEmpty && edges.allSatisfy { Double($0.1)! < Double($0.2)! }, "\(dag)")
        #expect(page.contains("\">Fixed effects by region</caption>"))
        #expect(page.contains("\">Density (firm)</th>"))
        let provenance = try #require(page.components(separatedBy: "<table class=\"provenance\">").last)
        #expect(provenance.components(separatedBy: "<tr><td>").count - 1 == 6)
        #expect(provenance.contains("models.fe@2") && provenance.contains("&quot;split&quot;:&quot;region&quot;"))
        // Rebuilt from the store alone: the same bytes.
        try FileManager.default.removeItem(atPath: path)
        let rebuilt = try PaperflowProcess.run(["report", "Workflows/r.yaml"], in: project.root)
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(rebuilt.stdout == path + "\n")
        #expect(try project.read("Artifacts/r/report.html") == page)
        // A second run takes everything from the cache and computes nothing new: the page of the
        // run that did stays as it is (provenance included), and the run says so.
        let second = try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root)
        #expect(second.status == 0)
        #expect(second.stdout.contains("report: \(path) (unchanged)"))
        #expect(try project.read("Artifacts/r/report.html") == page)
    }

    /// The provenance rows of a page: stage → the Plugin, Parameters, Inputs, Outputs and Time cells.
    static func provenance(_ page: String) -> [String: [String]] {
        let body = page.components(separatedBy: "<table class=\"provenance\">").last ?? ""
        var rows: [String: [String]] = [:]
        for row in body.components(separatedBy: "<tr><td>").dropFirst() {
            let cells = row.components(separatedBy: "</td><td").map { $0.replacingOccurrences(of: #"^[^>]*>"#, with: "", options: .regularExpression) }
            let stage = row.components(separatedBy: "</td>").first ?? ""
            guard cells.count >= 7 else { continue }
            rows[stage] = [cells[1], cells[3], cells[4], cells[5], cells[6].components(separatedBy: "</td>").first ?? ""]
        }
        return rows
    }

    @Test("a page written after a rerun that took stages from the cache shows their provenance as the first run's; the summary counts ran first")
    func cachedProvenance() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root, timeout: 300).status == 0)
        let first = Self.provenance(try project.read("Artifacts/r/report.html"))
        #expect(first.count == 6)
        #expect(first["model"]?[0] == "models.fe@2")
        // A new caption: the table stage runs, the page is written again, every other stage is cached.
        try project.write("Workflows/r.yaml", Self.workflow.replacingOccurrences(of: "caption: \"Mean y by region\"", with: "caption: \"Mean of y\""))
        let rerun = try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root, timeout: 300)
        #expect(rerun.stdout.contains("1 ran, 5 cached"), "\(rerun.stdout)")
        let page = try project.read("Artifacts/r/report.html")
        let second = Self.provenance(page)
        for stage in ["data", "model", "table", "spread", "trend"] {
            #expect(second[stage] == first[stage], "\(stage): \(second[stage] ?? []) vs \(first[stage] ?? [])")
            #expect(!(second[stage]?.contains("") ?? true), "\(stage) has an empty provenance cell")
        }
        #expect(second["means"] != first["means"])
        #expect(page.contains("<td class=\"status-cached\">cached<br>computed in run <code>"))
        #expect(page.contains(" · 1 ran, 5 cached, 0 failed, 0 skipped, 0 cancelled</p>"), "\(page.prefix(3000))")
        // Not generated data: no banner.
        #expect(!page.contains("class=\"synthetic\""))
    }

    @Test("paperflow report on a workflow that never ran says to run it")
    func neverRan() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        let result = try PaperflowProcess.run(["report", "Workflows/r.yaml"], in: project.root)
        #expect(result.status == 1)
        #expect(result.stderr == "error: workflow 'r' has not run yet; run 'paperflow run Workflows/r.yaml' first\n")
    }

    /// Prepended to a copy of the page: collects errors (script errors, console.error, resources
    /// that fail to load) and, once loaded, writes what the page holds into the DOM.
    static let probe = """
        <script>
        window.__errors = [];
        const report = console.error.bind(console);
        console.error = (...args) => { window.__errors.push(args.join(' ')); report(...args); };
        window.addEventListener('error', event => {
          window.__errors.push(event.message || ('failed to load ' + (event.target.src || event.target.href)));
        }, true);
        window.addEventListener('load', () => {
          const images = [...document.images].map(image => ({alt: image.alt, loaded: image.complete && image.naturalWidth > 0,
                                                             width: image.getBoundingClientRect().width, natural: image.naturalWidth}));
          const tables = [...document.querySelectorAll('section.table table')].map(table => table.rows.length);
          const probe = document.createElement('pre');
          probe.id = 'probe';
          probe.textContent = JSON.stringify({errors: window.__errors, images, tables});
          document.body.appendChild(probe);
        });
        </script>
        """

    @Test("the report opens in headless Chromium with no console errors, every image loaded and every table present; the screenshot is drawn")
    func browser() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root, timeout: 300).status == 0)
        let report = project.root.appendingPathComponent("Artifacts/r/report.html")
        // The page as written: nothing at all on the console.
        let plain = try Chromium.load(report)
        #expect(plain.console.isEmpty, "\(plain.console)")
        // An instrumented copy: errors caught in the page, images and tables counted after load.
        let page = try String(contentsOf: report, encoding: .utf8)
        let probed = project.root.appendingPathComponent("Artifacts/r/probed.html")
        try Data(page.replacingOccurrences(of: "<head>\n", with: "<head>\n" + Self.probe + "\n").utf8).write(to: probed)
        let loaded = try Chromium.load(probed)
        let json = try #require(loaded.dom.components(separatedBy: "<pre id=\"probe\">").last?.components(separatedBy: "</pre>").first)
        struct Probe: Decodable {
            struct Image: Decodable { var alt: String; var loaded: Bool; var width: Double; var natural: Double }
            var errors: [String]
            var images: [Image]
            var tables: [Int]
        }
        let probe = try JSONDecoder().decode(Probe.self, from: Data(json.replacingOccurrences(of: "&quot;", with: "\"").utf8))
        #expect(probe.errors.isEmpty, "\(probe.errors)")
        #expect(probe.images.map(\.alt) == ["stage graph of r", "spread", "trend"])
        #expect(probe.images.allSatisfy { $0.loaded && $0.width > 100 }, "\(probe.images)")
        // The stage graph at its own size (12 px text), scrolled rather than shrunk.
        #expect(probe.images.first.map { $0.width == $0.natural } == true, "\(probe.images)")
        // The regression table: header, 2 terms × 2 rows, FE rows, N, R², notes; the cross table: header, 3 regions, total.
        #expect(probe.tables.count == 2)
        #expect(probe.tables.last == 5)
        let image = try Chromium.screenshot(report, width: 1200, height: 1600)
        #expect(image.width == 1200 && image.height == 1600)
        #expect(image.pixels() > 1200 * 1600 / 50, "only \(image.pixels()) drawn pixels")
        #expect(image.colorCount > 16)
    }
}
