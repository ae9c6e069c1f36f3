import Foundation
import PaperflowCore
import PaperflowStages
import PaperflowTestSupport
import Testing

/// `tables.regression` on fixed fits of the M2 panel: Markdown, LaTeX, HTML and CSV byte for byte
/// against the goldens in `Tests/Fixtures/tables/` (regenerate by running this test with
/// `PAPERFLOW_UPDATE_GOLDENS=1` and reviewing the diff).
@Suite("Regression tables")
struct RegressionTableTests {
    static let workflow = """
        workflow: m
        stages:
          data:
            uses: io.csv@2
            with: {path: data/m2_panel.csv}
          twoway:
            uses: models.fe@2
            with: {formula: "y ~ x1 + x2 + x3 | province + year", vcov: {cluster: [province]}}
            inputs: {table: data.table}
          oneway:
            uses: models.fe@2
            with: {formula: "y ~ x1 + x2 + x1:x2 | province", vcov: hc1}
            inputs: {table: data.table}
          pooled:
            uses: models.ols@2
            with: {formula: "y ~ x1 + x3"}
            inputs: {table: data.table}
          table:
            uses: tables.regression@1
            with:
              labels: {x1: "Density (firm)", "x1:x2": "Density × size", province: Province, year: Year}
              order: [x1, x2, "x1:x2", x3]
              statistics: [observations, r2, r2_within, clusters]
              titles: [Two-way FE, Province FE, Pooled OLS]
              caption: "Table 2: Export entry & relatedness"
              notes: "M2 panel, 30 provinces × 14 years."
            inputs: {fits: [twoway.fit, oneway.fit, pooled.fit]}
        """

    /// A project with the M2 panel and `workflow`.
    static func project(_ workflow: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "models/m2_panel.csv", to: "data/m2_panel.csv")
        try project.write("Workflows/m.yaml", workflow)
        return project
    }

    @Test("fits side by side render to the committed Markdown, LaTeX, HTML and CSV byte for byte", arguments: [
        ("table.md", "regression.md"), ("table.tex", "regression.tex"), ("table.html", "regression.html"), ("table.csv", "regression.csv"),
    ])
    func goldens(output: String, golden: String) throws {
        let project = try Self.project(Self.workflow)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        let rendered = try project.read("Artifacts/m/table/\(output)")
        let url = Fixtures.url("tables/\(golden)")
        if ProcessInfo.processInfo.environment["PAPERFLOW_UPDATE_GOLDENS"] == "1" {
            try Data(rendered.utf8).write(to: url)
        }
        #expect(rendered == (try String(contentsOf: url, encoding: .utf8)))
    }

    @Test("the HTML table carries its own booktabs rules: opened alone in Chromium, with no stylesheet, the rules are drawn where the LaTeX has them")
    func htmlCarriesItsRules() throws {
        let project = try Self.project(Self.workflow)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let table = try project.read("Artifacts/m/table/table.html")
        let page = try project.write("alone.html", """
            <!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\(table)<pre id="result"></pre>
            <script>
            const rows = [...document.querySelectorAll("table thead tr, table tbody tr")];
            const width = (cell, side) => parseFloat(getComputedStyle(cell)["border" + side + "Width"]);
            const ruled = rows.map(row => [width(row.cells[0], "Top"), width(row.cells[0], "Bottom")]);
            document.getElementById("result").textContent = "RULES " + JSON.stringify(ruled) + " END";
            </script></body></html>
            """)
        let (dom, _) = try Chromium.load(page)
        let json = try #require(dom.firstMatch(of: /RULES (.*) END/)).1
        let rules = try JSONDecoder().decode([[Double]].self, from: Data(String(json).utf8))
        // Header: 1.5 pt (2 px) above, 0.75 pt (1 px) below; a 0.75 pt rule above the statistics
        // (where the LaTeX has \midrule); 1.5 pt under the last row; nothing elsewhere.
        #expect(rules.first == [2, 1], "\(rules)")
        let body = Array(rules.dropFirst())
        #expect(body.last?[1] == 2, "\(rules)")
        #expect(body.filter { $0[0] == 1 }.count == 1, "\(rules)")
        #expect(body.dropLast().allSatisfy { $0[1] == 0 }, "\(rules)")
    }

    @Test("swapping probit for logit with --set reruns only the model and the table")
    func swap() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.copy(fixture: "models/m1_100k.csv", to: "data/m1.csv")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data:
                uses: io.csv@2
                with: {path: data/m1.csv}
              model:
                uses: models.probit@2
                with: {formula: "export ~ density_firm*density_city + ln_tradevalue | year", vcov: {cluster: [firm]}}
                inputs: {table: data.table}
              lpm:
                uses: models.lpm@2
                with: {formula: "export ~ density_firm*density_city + ln_tradevalue | year", vcov: {cluster: [firm]}}
                inputs: {table: data.table}
              table:
                uses: tables.regression@1
                inputs: {fits: [model.fit, lpm.fit]}
            """)
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let probit = try project.read("Artifacts/m/table/table.md")
        let swapped = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, overrides: ["stages.model.uses=models.logit@2"])
        #expect(swapped.summary.succeeded)
        #expect(Set(swapped.summary.ran) == ["model", "table"])
        #expect(Set(swapped.summary.cached) == ["data", "lpm"])
        #expect(try project.read("Artifacts/m/table/table.md") != probit)
        // Which estimator made a column is on the table (it was not: probit and logit looked alike).
        #expect(probit.contains("| Estimator | Probit, clustered (firm) SE | LPM, clustered (firm) SE |"), "\(probit)")
        #expect(try project.read("Artifacts/m/table/table.md").contains("| Estimator | Logit, clustered (firm) SE | LPM, clustered (firm) SE |"))
    }

    @Test("a fixed effect's label is used as written; without one the row is the variable and FE; the estimator row can be left out")
    func fixedEffectLabels() throws {
        let project = try Self.project(Self.workflow
            .replacingOccurrences(of: "province: Province, year: Year}", with: "province: regional effect}")
            .replacingOccurrences(of: "statistics: [observations, r2, r2_within, clusters]", with: "statistics: [observations]\n      estimator: false"))
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/m.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let table = try project.read("Artifacts/m/table/table.md")
        #expect(table.contains("| regional effect | YES | YES | NO |"), "\(table)")
        #expect(table.contains("| year FE | YES | NO | NO |"), "\(table)")
        #expect(!table.contains("Estimator"))
    }

    @Test("a table of something that is not a fit, or an unknown term, fails with what to change")
    func failures() throws {
        let project = try Self.project(Self.workflow.replacingOccurrences(of: "order: [x1, x2, \"x1:x2\", x3]", with: "order: [x1, x9]"))
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["table"])
        #expect(run.record.stages.first { $0.stage == "table" }?.message
                    == "order lists 'x9', which no fit has; terms: x1, x2, x3, x1:x2, (Intercept)")
    }
}
