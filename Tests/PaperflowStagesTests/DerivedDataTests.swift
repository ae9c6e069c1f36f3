import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// `data.derive` and `data.quantile-groups` in a workflow.
@Suite("Derived data stages")
struct DerivedDataTests {
    /// Firms in four cities; a city's marketization share repeats on each of its firms' rows.
    static let firms = """
        firm,city,year,value,share
        1,A,2002,10,0.10
        2,A,2002,,0.10
        3,B,2002,100,0.20
        4,C,2002,1,0.30
        5,C,2002,5,0.30
        6,C,2002,7,0.30
        7,D,2002,2,0.40
        8,E,2002,3,
        """

    static func project(_ stage: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/firms.csv", firms + "\n")
        try project.write("Workflows/d.yaml", """
            workflow: d
            stages:
              data:
                uses: io.csv@2
                with: {path: data/firms.csv}
              step:
            \(stage.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                inputs: {table: data.table}
            """)
        return project
    }

    static func table(_ project: TemporaryProject) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/d/step/table.pftable"))
    }

    @Test("data.derive adds columns in order, an entry using the one before, then keeps the subset")
    func derive() throws {
        let project = try Self.project("""
            uses: data.derive@1
            with:
              columns: ["ln_value = log(value)", "big = ln_value > 1", "label = ifelse(big, \\"big\\", \\"small\\")"]
              subset: "!is_missing(value) & city != 'B'"
            """)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/d.yaml", registry: BuiltinStages.registry).summary.succeeded)
        let table = try Self.table(project)
        #expect(table.names == ["firm", "city", "year", "value", "share", "ln_value", "big", "label"])
        #expect(table["firm"]!.values == [.int64(1), .int64(4), .int64(5), .int64(6), .int64(7), .int64(8)])
        #expect(table["ln_value"]!.values == [10.0, 1, 5, 7, 2, 3].map { .double(log($0)) })
        #expect(table["big"]!.values == [true, false, true, true, false, true].map(Value.bool))
        #expect(table["label"]!.values == ["big", "small", "big", "big", "small", "big"].map(Value.string))
    }

    @Test("data.derive errors give the entry, the position within it and the row", arguments: [
        ("[\"ln = log(value - 1)\"]", "columns[1] 'ln = log(value - 1)': character 6: log of 0.0 is undefined; use log1p(x), or ifelse(x > 0, log(x), NA) (row 4)"),
        ("[\"x = value +\"]", "columns[1] 'x = value +': character 12: expected a value, a column or '(', found end of the expression"),
        ("[\"value * 2\"]", "columns[1] 'value * 2' is not \"name = expression\"; e.g. \"ln_value = log(value)\""),
        ("[\"x == 2\"]", "columns[1] 'x == 2' is not \"name = expression\"; e.g. \"ln_value = log(value)\""),
    ])
    func deriveErrors(columns: String, message: String) throws {
        let project = try Self.project("uses: data.derive@1\nwith: {columns: \(columns)}")
        defer { project.cleanUp() }
        let run = try project.run("Workflows/d.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["step"])
        #expect(run.record.stages.first { $0.stage == "step" }?.message == message)
    }

    @Test("quantile groups of cities (each counted once) at the 25% and 50% quantiles, R's type 7 and cut()")
    func quantileGroups() throws {
        let project = try Self.project("""
            uses: data.quantile-groups@1
            with: {column: share, unit: city, name: market}
            """)
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/d.yaml", registry: BuiltinStages.registry).summary.succeeded)
        // City shares 0.1, 0.2, 0.3, 0.4: R's quantile(type = 7) gives 0.175 and 0.25; counted by
        // firm rows instead, C's three firms would move the cut points.
        let cuts = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/d/step/cuts.json").utf8))
        let group = cuts.mapValue?["groups"]?.listValue?.first?.mapValue
        #expect(group?["count"] == .int(4))
        let points = group?["cuts"]?.listValue?.compactMap(\.doubleValue) ?? []
        #expect(points.count == 2)
        #expect(abs(points[0] - 0.175) < 1e-15 && abs(points[1] - 0.25) < 1e-15)
        #expect(try Self.table(project)["market"]!.values
            == ["low", "low", "middle", "high", "high", "high", "high"].map(Value.string) + [.missing])
    }

    @Test("a unit whose value differs between rows is refused with both rows")
    func inconsistentUnit() throws {
        let project = try Self.project("uses: data.quantile-groups@1\nwith: {column: value, unit: city}")
        defer { project.cleanUp() }
        let run = try project.run("Workflows/d.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "step" }?.message
            == "unit city = C has value 1.0 in row 4 and 5.0 in row 5; with unit, the value must be the unit's own")
    }
}
