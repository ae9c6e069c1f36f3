import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

@Suite("Data stages")
struct DataStageTests {
    @Test("io.csv → io.table-csv reproduces the file and reports the types; codes keep their zeros")
    func roundTrip() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let csv = "firm,city,hs6,year,value\n0042,南京,010110,2002,1.5\n\"1043\",苏州,\"852520\",2003,\n"
        try project.write("data/trade.csv", csv)
        try project.write("Workflows/t.yaml", """
            workflow: t
            stages:
              trade:
                uses: io.csv@2
                with: {path: data/trade.csv, schema: {city: category}}
              back:
                uses: io.table-csv@1
                inputs: {table: trade.table}
            """)
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        #expect(try project.read("Artifacts/t/back/table.csv") == csv)
        let report = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/t/trade/report.json").utf8))
        #expect(report.mapValue?["types"] == .map(["firm": .string("string"), "city": .string("category"), "hs6": .string("string"),
                                                   "year": .string("int64"), "value": .string("double")]))
        #expect(report.mapValue?["rows"] == .int(2))
        let table = try Data(contentsOf: project.root.appendingPathComponent("Artifacts/t/trade/table.pftable"))
            .withUnsafeBytes { try BinaryTableFormat.decode($0) }
        #expect(table["hs6"]![0] == .string("010110"))
    }

    @Test("a malformed CSV fails the stage with file, line and column")
    func malformed() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/bad.csv", "a,b\n1,2\n3\n")
        try project.write("Workflows/t.yaml", "workflow: t\nstages:\n  bad: {uses: io.csv@2, with: {path: data/bad.csv}}\n")
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["bad"])
        #expect(run.record.stages[0].message == """
            data/bad.csv:3:1: error: row has 1 field, the header has 2
              hint: quote fields that contain ',', or fix the row; bad_rows: skip leaves such rows out
            """)
    }
}
