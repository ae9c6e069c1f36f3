import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// `tables.crosstab` and `tables.descriptive` on hardware firms built to zhou-2010's Table 4
/// marginals: each region's R&D-employee share averages the published value, two firms per
/// region did not answer, and ownership alternates.
@Suite("Cross and descriptive tables")
struct SurveyTableTests {
    static let regions = [("Beijing", 100, 29.67), ("Shanghai", 110, 13.55), ("Suzhou", 157, 5.31), ("Shenzhen", 151, 5.91), ("Dongguan", 115, 2.67)]

    /// An exporter's export share (%), from its index within the region.
    static func share(_ index: Int) -> Double { Double(10 + (index % 7) * 10) }

    static var firms: String {
        var lines = ["firm,region,ownership,exporter,export_share,rd_employees"]
        var firm = 0
        for (region, count, mean) in regions {
            for index in 0..<count {
                firm += 1
                let exporter = index % 3 == 0
                // Answered: the mean ± 1 in pairs, so the region's mean is the published one.
                let rd = index < count - 2 - (count - 2) % 2 ? String(mean + (index % 2 == 0 ? 1 : -1)) : index < count - 2 ? String(mean) : ""
                lines.append("\(firm),\(region),\(index % 2 == 0 ? "foreign" : "domestic"),\(exporter),\(exporter ? String(Int(share(index))) : ""),\(rd)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func project(_ stage: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/firms.csv", firms)
        try project.write("Workflows/s.yaml", """
            workflow: s
            stages:
              data: {uses: io.csv@2, with: {path: data/firms.csv}}
              table:
            \(stage.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                inputs: {table: data.table}
            """)
        return project
    }

    static func values(_ project: TemporaryProject) throws -> [String: Double] {
        let table = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/s/table/values.pftable"))
        var result: [String: Double] = [:]
        for row in 0..<table.rowCount {
            if case let .double(value) = table["value"]![row] {
                result["\(table["row"]![row].description)|\(table["column"]![row].description)|\(table["cell"]![row].description)"] = value
            }
        }
        return result
    }

    static let table4 = """
        uses: tables.crosstab@1
        with:
          rows: region
          cells: ["mean(rd_employees)", "n()"]
          totals: weighted
          labels: {"mean(rd_employees)": "% employees in R&D"}
          caption: "R&D by region, hardware firms"
        """

    @Test("Table 4: region means to the printed digits, and the total as zhou-2010's N-weighted mean of the rows, 10.25")
    func weightedTotals() throws {
        let project = try Self.project(Self.table4)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/s.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let values = try Self.values(project)
        for (region, count, mean) in Self.regions {
            #expect(abs(values["\(region)|Total|mean(rd_employees)"]! - mean) < 1e-12)
            #expect(values["\(region)|Total|n()"] == Double(count))
        }
        let weighted = Self.regions.reduce(0) { $0 + $1.2 * Double($1.1) } / 633
        #expect(abs(values["Total|Total|mean(rd_employees)"]! - weighted) < 1e-12)
        #expect(values["Total|Total|n()"] == 633)
        let markdown = try project.read("Artifacts/s/table/table.md")
        #expect(markdown.contains("| Total | 10.25 | 633 |"))
        try Goldens.check(markdown, "crosstab.md")
        try Goldens.check(try project.read("Artifacts/s/table/table.tex"), "crosstab.tex")
        try Goldens.check(try project.read("Artifacts/s/table/table.html"), "crosstab.html")
    }

    @Test("pooled totals take every answering firm; percent, count and mean by ownership columns (Table 3's layout)")
    func ownershipColumns() throws {
        let project = try Self.project("""
            uses: tables.crosstab@1
            with: {rows: region, columns: [ownership], cells: ["percent(exporter)", "count(exporter)", "mean(export_share)"], digits: 1}
            """)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/s.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let values = try Self.values(project)
        // Beijing: 100 firms, exporters are every third (34), 17 of them foreign (even index).
        #expect(values["Beijing|Total|count(exporter)"] == 34)
        #expect(abs(values["Beijing|Total|percent(exporter)"]! - 34) < 1e-12)
        #expect(values["Beijing|foreign|count(exporter)"] == 17)
        #expect(abs(values["Beijing|foreign|percent(exporter)"]! - 34) < 1e-12)
        let shares: [Double] = (0..<100).filter { $0 % 3 == 0 }.map(Self.share)
        #expect(abs(values["Beijing|Total|mean(export_share)"]! - shares.reduce(0, +) / Double(shares.count)) < 1e-12)
        // Pooled: the exporters of all 633 firms.
        let exporters: Int = Self.regions.map { ($0.1 + 2) / 3 }.reduce(0, +)
        #expect(values["Total|Total|count(exporter)"] == Double(exporters))
        let markdown = try project.read("Artifacts/s/table/table.md")
        #expect(markdown.hasPrefix("| region | Total: percent(exporter) | Total: count(exporter) | Total: mean(export_share) | foreign: percent(exporter) |"))
    }

    @Test("sort_by ranks the rows by a column, largest first, by its title or its cell with a column group; the totals row stays last")
    func ranked() throws {
        for (cells, columns, sortBy) in [("[\"mean(rd_employees)\", \"n()\"]", "[]", "mean(rd_employees)"),
                                         ("[\"mean(rd_employees)\", \"n()\"]", "[]", "% employees in R&D"),
                                         ("[\"n()\", \"mean(rd_employees)\"]", "[ownership]", "foreign: mean( rd_employees )")] {
            let project = try Self.project("""
                uses: tables.crosstab@1
                with: {rows: region, columns: \(columns), cells: \(cells), sort_by: "\(sortBy)", labels: {"mean(rd_employees)": "% employees in R&D"}}
                """)
            defer { project.cleanUp() }
            #expect(try project.run("Workflows/s.yaml", registry: BuiltinStages.registry).summary.succeeded)
            let labels = try project.read("Artifacts/s/table/table.md").split(separator: "\n").filter { $0.hasPrefix("| ") }.dropFirst()
                .map { $0.split(separator: "|").first!.trimmingCharacters(in: .whitespaces) }
            // Table 4's shares: Beijing 29.67, Shanghai 13.55, Shenzhen 5.91, Suzhou 5.31, Dongguan 2.67 (foreign firms: each + 1).
            #expect(labels == ["Beijing", "Shanghai", "Shenzhen", "Suzhou", "Dongguan", "Total"], "\(sortBy): \(labels)")
        }
    }

    @Test("tables.descriptive: N, mean, SD (n − 1), type-7 quartiles, overall and by ownership")
    func descriptive() throws {
        let project = try Self.project("""
            uses: tables.descriptive@1
            with:
              columns: [rd_employees, export_share]
              statistics: [responses, missing, mean, sd, min, p25, median, p75, max]
              by: ownership
              labels: {rd_employees: "% employees in R&D", export_share: "Export share (%)"}
            """)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/s.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let markdown = try project.read("Artifacts/s/table/table.md")
        try Goldens.check(markdown, "descriptive.md")
        try Goldens.check(try project.read("Artifacts/s/table/table.tex"), "descriptive.tex")
        // The foreign firms' export shares, by hand: R's quantile(type = 7) and sd().
        var shares: [Double] = []
        for (_, count, _) in Self.regions { for index in stride(from: 0, to: count, by: 2) where index % 3 == 0 { shares.append(Self.share(index)) } }
        let foreign: Int = Self.regions.map { ($0.1 + 1) / 2 }.reduce(0, +)
        let mean = shares.reduce(0, +) / Double(shares.count)
        let sd = (shares.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(shares.count - 1)).squareRoot()
        let sorted = shares.sorted()
        let line = "| Export share (%) | \(shares.count) | \(foreign - shares.count) | \(String(format: "%.2f", mean)) | \(String(format: "%.2f", sd)) | "
            + [sorted.first!, Quantiles.type7(sorted: sorted, 0.25), Quantiles.type7(sorted: sorted, 0.5), Quantiles.type7(sorted: sorted, 0.75), sorted.last!]
            .map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |"
        #expect(markdown.contains(line), "\(line)\n\(markdown)")
    }

    @Test("bad cells and row orders say what to write", arguments: [
        ("{rows: region, cells: [\"avg(rd_employees)\"]}", "cells entry 'avg(rd_employees)' is not statistic(variable); statistics: n, responses, count, percent, mean, sd, min, p25, median, p75, max, sum, missing, row_percent, column_percent"),
        ("{rows: region, cells: [\"mean()\"]}", "cells entry 'mean()': mean needs a variable, e.g. mean(export_share)"),
        ("{rows: region, cells: [\"mean(region)\"]}", "cells names 'region', which is text; summarise a number or a yes/no column"),
        ("{rows: region, row_order: [Beijing, Shanghai]}", "row_order leaves out 'Suzhou', a value of region; list every value"),
        ("{rows: region, cells: [\"n()\"], sort_by: \"mean(rd_employees)\"}", "sort_by 'mean(rd_employees)' is not a column of the table; columns: n()"),
        ("{rows: region, cells: [\"n()\", \"mean(rd_employees)\"], column_digits: {\"mean(rd)\": 3}}",
         "column_digits names 'mean(rd)', which is not a column title; titles: N, mean(rd_employees)"),
        ("{rows: region, cells: [\"mean(rd_employees)\"], column_digits: {\"mean(rd_employees)\": 12}}",
         "column_digits 'mean(rd_employees)' must be a whole number from 0 to 10"),
    ])
    func failures(with: String, message: String) throws {
        let project = try Self.project("uses: tables.crosstab@1\nwith: \(with)")
        defer { project.cleanUp() }
        let run = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "table" }?.message == message)
    }
}

/// Committed renderings under Tests/Fixtures/tables (or another fixture folder);
/// `PAPERFLOW_UPDATE_GOLDENS=1` rewrites them.
enum Goldens {
    static func check(_ rendered: String, _ name: String, folder: String = "tables",
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let url = Fixtures.url("\(folder)/\(name)")
        if ProcessInfo.processInfo.environment["PAPERFLOW_UPDATE_GOLDENS"] == "1" {
            try Data(rendered.utf8).write(to: url)
        }
        #expect(rendered == (try String(contentsOf: url, encoding: .utf8)), "golden \(name)", sourceLocation: sourceLocation)
    }
}
