import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// io.parquet in a workflow: the table artifact is what the reader reads, cached on a rerun; a
/// damaged file or a filter on a column the file lacks fails the stage with the file named and
/// leaves no artifact.
@Suite("Parquet stage", .serialized)
struct ParquetStageTests {
    @Test("columns and filter in a workflow: the artifact is the reader's table, the report counts skipped row groups, a rerun is cached")
    func workflow() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.copy(fixture: "parquet/pyarrow_zstd.parquet", to: "data/firms.parquet")
        try project.write("Workflows/p.yaml", """
            workflow: p
            stages:
              firms: {uses: io.parquet@1, with: {path: data/firms.parquet, columns: [firm, region, value], filter: "firm >= 17"}}
              summary: {uses: data.summarise@1, inputs: {table: firms.table}, with: {by: [region], columns: ["n = count(firm)"]}}
            """)
        let first = try project.run("Workflows/p.yaml", registry: BuiltinStages.registry)
        #expect(first.summary.succeeded, "\(first.record.stages.compactMap(\.message))")
        let table = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/p/firms/table.pftable"))
        var options = ParquetOptions()
        options.columns = ["firm", "region", "value"]
        options.filter = "firm >= 17"
        let (direct, _) = try ParquetReader.read(contentsOf: project.root.appendingPathComponent("data/firms.parquet"), displayPath: "x", options: options)
        #expect(table == direct)
        #expect(table.names == ["firm", "region", "value"] && table.rowCount == 7 && table["region"]?.type == .category)
        let notes = first.events.compactMap { recorded -> String? in
            if case let .note(stage, message) = recorded.event, stage == "firms" { return message }
            return nil
        }
        // Row groups of 8 rows: firms 1–8 and 9–16 are ruled out by their statistics.
        #expect(notes == ["filter skipped 2 of 3 row groups by their statistics"])
        let again = try project.run("Workflows/p.yaml", registry: BuiltinStages.registry)
        #expect(again.summary.ran.isEmpty)
    }

    @Test("a cut file and a filter on a missing column fail the stage, naming the file; no artifact is stored",
          arguments: [("parquet/bad_cut.parquet", "", "data/in.parquet: does not end with PAR1: the file is cut or still being written"),
                      ("parquet/pyarrow_snappy.parquet", "citty == 1", "data/in.parquet: has no column 'citty'; its columns are firm, year, small, count, big, huge, unsigned, value, share, flag, code, name, region, day, stamp, price")])
    func failures(fixture: String, filter: String, message: String) throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.copy(fixture: fixture, to: "data/in.parquet")
        try project.write("Workflows/p.yaml", """
            workflow: p
            stages:
              firms: {uses: io.parquet@1, with: {path: data/in.parquet, filter: '\(filter)'}}
            """)
        let run = try project.run("Workflows/p.yaml", registry: BuiltinStages.registry, keepGoing: true)
        #expect(run.record.stages.first { $0.stage == "firms" }?.message == message)
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/p/firms/table.pftable").path))
    }
}
