import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// io.dta and io.table-dta in a workflow: a file pandas wrote is read, written back as format 118
/// and read again to the same table; R's haven (ReadStat, as Stata users' R colleagues read .dta)
/// opens the written file with its values and value labels intact.
@Suite("Stata stages", .serialized)
struct StataStageTests {
    static let workflow = """
        workflow: s
        stages:
          firms: {uses: io.dta@1, with: {path: data/firms.dta}}
          written: {uses: io.table-dta@1, inputs: {table: firms.table}, with: {label: "Firms for co-authors"}}
          exported: {uses: io.export@1, inputs: {artifact: written.dta}, with: {to: results/firms.dta}}
        """

    @Test("a .dta read, written back and read again is the same table; haven reads the written file's values and labels")
    func roundTrip() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.copy(fixture: "stata/pandas_118.dta", to: "data/firms.dta")
        try project.write("Workflows/s.yaml", Self.workflow)
        let first = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry)
        #expect(first.summary.succeeded, "\(first.record.stages.compactMap(\.message))")
        let original = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/s/firms/table.pftable"))
        let (again, report) = try DTAReader.read(contentsOf: project.root.appendingPathComponent("results/firms.dta"), displayPath: "results/firms.dta")
        #expect(report.release == 118)
        #expect(again.names == original.names)
        for (name, column) in zip(original.names, original.columns) {
            let back = try #require(again[name])
            #expect((0..<column.count).map { column[$0] } == (0..<back.count).map { back[$0] }, "\(name)")
        }
        #expect(again["region"]?.type == .category)
        // The same table gives the same bytes.
        let bytes = try Data(contentsOf: project.root.appendingPathComponent("results/firms.dta"))
        #expect(try DTAWriter.data(original, label: "Firms for co-authors").0 == bytes)

        let output = try ExternalTool.rscript("""
            suppressMessages(library(haven))
            d <- read_dta("results/firms.dta")
            cat(attr(d, "label"), "\\n")
            cat(as.character(as_factor(d$region)), sep = ",")
            cat("\\n")
            cat(sprintf("%.17g", d$value), sep = ",")
            cat("\\n")
            cat(d$code, sep = ",")
            cat("\\n")
            """, in: project.root)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Firms for co-authors ")
        #expect(lines.dropFirst().first == (0..<original.rowCount).map { original["region"]![$0].description }.joined(separator: ","))
        let values = (0..<original.rowCount).map { row -> String in
            if case let .double(v) = original["value"]![row] { return String(format: "%.17g", v) }
            return "NA"
        }
        #expect(lines.dropFirst(2).first == values.joined(separator: ","))
        #expect(lines.dropFirst(3).first == (0..<original.rowCount).map { original["code"]![$0].description }.joined(separator: ","))

        // pandas, as a Python co-author reads it: the value labels as a categorical, the data label.
        let fromPandas = try ExternalTool.pandas("""
            import pandas as pd
            frame = pd.read_stata("results/firms.dta")
            reader = pd.io.stata.StataReader("results/firms.dta")
            print(reader.data_label)
            print(frame["region"].dtype.name)
            print(",".join(frame["region"].astype(str)))
            print(",".join(repr(float(v)) for v in frame["value"]))
            """, in: project.root)
        let pandasLines = fromPandas.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(pandasLines.first == "Firms for co-authors")
        #expect(pandasLines.dropFirst().first == "category")
        #expect(pandasLines.dropFirst(2).first == (0..<original.rowCount).map { original["region"]![$0].description }.joined(separator: ","))
        let reprs = (0..<original.rowCount).map { row -> String in
            if case let .double(v) = original["value"]![row] { return v == v.rounded() && abs(v) < 1e16 ? String(format: "%.1f", v) : "\(v)" }
            return "nan"
        }
        #expect(pandasLines.dropFirst(3).first == reprs.joined(separator: ","))
    }

    @Test("Workflows/examples/formats.yaml: a .dta, an .xlsx under a title row, a Parquet file and a Python script's CSV make one table, written back as .dta")
    func formatsExample() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let manager = FileManager.default
        for folder in ["Workflows/data/china", "Workflows/scripts", "Workflows/examples"] {
            try manager.createDirectory(at: project.root.appendingPathComponent(folder).deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.copyItem(at: PaperWorkflowTests.repository.appendingPathComponent(folder), to: project.root.appendingPathComponent(folder))
        }
        let run = try project.run("Workflows/examples/formats.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let shares = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/formats/shares/shares.pftable"))
        #expect(shares.rowCount == 31)
        let ranking = try project.read("Artifacts/formats/ranking/table.md")
        // Beijing 2023: science budget 521.91 of R&D 2947.1 (亿元), 17.7%; Tibet's budget exceeds its R&D.
        // Beijing's 402,152 R&D person-years (Parquet): 2947.1 亿元 / 402,152 = 73.3 万元 each.
        #expect(ranking.contains("| 北京 | 2947.1 | 521.9 | 17.7 | 73.3 |"), "\(ranking)")
        let personnel = try JSONSerialization.jsonObject(with: Data(project.read("Artifacts/formats/personnel/report.json").utf8)) as? [String: Any]
        #expect(personnel?["rowGroups"] as? Int == 5 && personnel?["rowGroupsRead"] as? Int == 1 && personnel?["rows"] as? Int == 31)
        #expect(ranking.split(separator: "\n").dropFirst(3).first?.hasPrefix("| 西藏 |") == true, "\(ranking)")
        let (back, _) = try DTAReader.read(contentsOf: project.root.appendingPathComponent("Artifacts/formats/for_stata/table.dta"), displayPath: "table.dta")
        #expect(back.rowCount == 31 && back.names == ["province_zh", "rd_spending", "science_budget", "public_share", "rd_personnel", "spending_per_fte"])
        // Nothing reruns the second time, the script's table included.
        let again = try project.run("Workflows/examples/formats.yaml", registry: BuiltinStages.registry)
        #expect(again.summary.ran.isEmpty)
    }

    @Test("a column Stata cannot name is refused with the fix; missing text is written empty and noted")
    func names() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/t.csv", "region name,city\nEast,Nanjing\nWest,\n")
        try project.write("data/u.csv", "region,city\nEast,Nanjing\nWest,\n")
        try project.write("Workflows/s.yaml", """
            workflow: s
            stages:
              bad: {uses: io.csv@2, with: {path: data/t.csv}}
              good: {uses: io.csv@2, with: {path: data/u.csv, categories: false}}
              refused: {uses: io.table-dta@1, inputs: {table: bad.table}}
              written: {uses: io.table-dta@1, inputs: {table: good.table}}
            """)
        let run = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry, keepGoing: true)
        #expect(run.record.stages.first { $0.stage == "refused" }?.message
                == "column 'region name' cannot be a Stata variable name (letters, digits and _, not starting with a digit, at most 32 characters, not a reserved word); rename it first with data.derive (\"new_name = region name\")")
        let notes = run.events.compactMap { recorded -> String? in
            if case let .note(stage, message) = recorded.event, stage == "written" { return message }
            return nil
        }
        #expect(notes == ["city: 1 missing text value(s) written empty (Stata has no missing string)"])
    }
}
