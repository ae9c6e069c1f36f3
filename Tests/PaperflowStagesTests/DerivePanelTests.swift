import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowTestSupport
import Testing

/// data.derive's by:/order: functions — l(), f(), d(), mean(), sum(), rank(), cumsum() — against
/// pandas on the panel with gaps (`Tests/Fixtures/models/ref_derive_panel.py`).
@Suite("data.derive over panels")
struct DerivePanelTests {
    /// A project reading `fixture` as data/panel.csv into stage `data`, then `stages`.
    static func project(_ fixture: String, _ stages: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "models/\(fixture)", to: "data/panel.csv")
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              data: {uses: io.csv@2, with: {path: data/panel.csv}}
            \(stages)
            """)
        return project
    }

    @Test("l(x1, 1), l(x1, 2), f(x2, 1) and d(x3) by province along year respect the gaps; mean, sum and cumsum by province, rank by region (ties averaged): pandas' values to 1e-12, missing where pandas has NaN")
    func againstPandas() throws {
        let project = try Self.project("panel_gaps.csv", """
              within:
                uses: data.derive@1
                inputs: {table: data.table}
                with:
                  by: [province]
                  order: year
                  columns: ["lag1 = l(x1, 1)", "lag2 = l(x1, 2)", "lead1 = f(x2, 1)", "diff = d(x3)", "mean4 = mean(x4)", "sum4 = sum(x4)", "cum6 = cumsum(x6)"]
              ranked:
                uses: data.derive@1
                inputs: {table: within.table}
                with: {by: [region], columns: ["r5 = round(x5, 1)", "rank5 = rank(r5)"]}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let ours = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/w/ranked/table.pftable"))
        let (reference, _) = try CSVReader.read(contentsOf: Fixtures.url("models/derive_panel_pandas.csv"), displayPath: "derive_panel_pandas.csv")
        #expect(ours.rowCount == reference.rowCount)
        for name in ["lag1", "lag2", "lead1", "diff", "mean4", "sum4", "cum6", "rank5"] {
            let got = try #require(ours[name]?.numericValues()), want = try #require(reference[name]?.numericValues())
            var missing = 0
            for row in want.indices {
                if want[row].isNaN {
                    #expect(got[row].isNaN, "\(name) row \(row + 1): \(got[row]) where pandas has NaN")
                    missing += 1
                } else {
                    #expect(abs(got[row] - want[row]) <= 1e-12 * max(1, abs(want[row])), "\(name) row \(row + 1): \(got[row]) vs \(want[row])")
                }
            }
            // The lags meet gaps: some rows have none, and not only each province's first.
            if name == "lag1" { #expect(missing > 30, "\(missing)") }
        }
    }

    @Test("l() without order:, two rows of one province-year, and a by column the table lacks are refused with the fix")
    func refusals() throws {
        for (with, message) in [
            ("{by: [province], columns: [\"lag = l(x1)\"]}",
             "columns[1] 'lag = l(x1)': character 7: l() looks along data.derive's order: (the time column), which is not given; add order: year (and by: the unit)"),
            ("{order: year, columns: [\"lag = l(x1)\"]}",
             "columns[1] 'lag = l(x1)': character 7: l() needs one row per group and year, but rows 1 and 15 share year 2003 in one group; add the unit to by:"),
            ("{by: [county], columns: [\"m = mean(x1)\"]}",
             "columns[1] 'm = mean(x1)': by names 'county', which is not a column; the table has province, year, region, y, x1, x2, x3, x4, x5, x6"),
        ] {
            let project = try Self.project("m2_panel.csv", """
                  derived: {uses: data.derive@1, inputs: {table: data.table}, with: \(with)}
                """)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
            #expect(run.record.stages.compactMap(\.message) == [message])
        }
    }
}
