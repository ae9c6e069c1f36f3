import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The trade stages on real HS codes: harmonisation with the shipped UNSD tables.
@Suite("Trade stages")
struct TradeStageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A project whose `records` stage reads `csv` (product codes as text) and runs `stages`.
    static func project(_ csv: String, _ stages: String, files: [String: String] = [:], schema: String = "{product: string}") throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/records.csv", csv)
        for (path, text) in files { try project.write(path, text) }
        try project.writeWorkflow("t", stages: "records: {uses: io.csv@2, with: {path: data/records.csv, schema: \(schema)}}\n" + stages)
        return project
    }

    static func table(_ project: TemporaryProject, _ path: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/t/\(path)"))
    }

    static func report(_ project: TemporaryProject, _ path: String) throws -> [String: ParamValue] {
        try #require(try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/t/\(path)").utf8)).mapValue)
    }

    /// Value by "key|product" of a harmonised table.
    static func values(_ table: Table, key: String = "firm") -> [String: Double] {
        let value = table["value"]!.numericValues()!
        var result: [String: Double] = [:]
        for row in 0..<table.rowCount { result["\(table[key]![row])|\(table["product"]![row])"] = value[row] }
        return result
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance * max(abs(a), abs(b), 1) }

    @Test("HS2002 852520 splits into 851712, 851761, 851762, 852560: equally, or by base-year weights; the value is conserved; at 4 digits it lands on 8517 and 8525")
    func split() throws {
        let project = try Self.project("firm,product,value\nF1,852520,1000\nF1,010110,7\nF2,852520,40\n", """
            equal: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from: HS2002}}
            four: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from: HS2002, digits: 4}}
            weights: {uses: io.csv@2, with: {path: data/weights.csv, schema: {product: string}}}
            weighted: {uses: trade.harmonize-hs@1, inputs: {records: records.table, weights: weights.table}, with: {from: HS2002, allocation: weights}}
            """, files: ["data/weights.csv": "product,value\n851712,50\n851761,30\n851762,20\n851712,0\n"])
        defer { project.cleanUp() }
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")

        let equal = Self.values(try Self.table(project, "equal/harmonized.pftable"))
        #expect(equal == ["F1|851712": 250, "F1|851761": 250, "F1|851762": 250, "F1|852560": 250, "F1|010110": 7,
                          "F2|851712": 10, "F2|851761": 10, "F2|851762": 10, "F2|852560": 10])
        let four = Self.values(try Self.table(project, "four/harmonized.pftable"))
        #expect(four == ["F1|8517": 750, "F1|8525": 250, "F1|0101": 7, "F2|8517": 30, "F2|8525": 10])
        let weighted = Self.values(try Self.table(project, "weighted/harmonized.pftable"))
        #expect(Self.close(weighted["F1|851712"]!, 500) && Self.close(weighted["F1|851761"]!, 300) && Self.close(weighted["F1|851762"]!, 200))
        #expect(weighted["F1|852560"] == nil)
        #expect(Self.close(weighted.values.reduce(0, +), 1047))

        let report = try Self.report(project, "equal/harmonize.json")
        #expect(report["value_in"]?.doubleValue == 1047 && report["value_out"]?.doubleValue == 1047)
        let rules = report["rules"]?.listValue?.compactMap(\.mapValue) ?? []
        #expect(rules.map { $0["rule"] } == [.string("1:1"), .string("n:n")])
        #expect(rules.map { $0["value"]?.doubleValue } == [7, 1040])
        let splits = report["splits"]?.listValue?.compactMap(\.mapValue) ?? []
        #expect(splits.count == 1 && splits.first?["code"] == .string("852520") && splits.first?["rows"] == .int(2))
        #expect(splits.first?["shares"]?.mapValue?.keys.sorted() == ["851712", "851761", "851762", "852560"])
        let weightedSplit = try Self.report(project, "weighted/harmonize.json")["splits"]?.listValue?.first?.mapValue
        #expect(weightedSplit?["by"] == .string("weights") && weightedSplit?["shares"]?.mapValue?["851712"] == .double(0.5))
    }

    @Test("an unknown code (the aggregate 271000) stops the stage at its row by default, passes through under keep and is removed and counted under drop")
    func unknownCodes() throws {
        let csv = "firm,product,value\nF1,271000,125.5\nF1,270900,10\nF2,271000,4.5\n"
        let project = try Self.project(csv, """
            keep: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from: HS2002, unknown: keep, digits: 4}}
            drop: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from: HS2002, unknown: drop}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        #expect(Self.values(try Self.table(project, "keep/harmonized.pftable")) == ["F1|2710": 125.5, "F1|2709": 10, "F2|2710": 4.5])
        #expect(Self.values(try Self.table(project, "drop/harmonized.pftable")) == ["F1|270900": 10])
        let dropped = try Self.report(project, "drop/harmonize.json")
        #expect(dropped["value_in"]?.doubleValue == 140 && dropped["value_out"]?.doubleValue == 10)
        let unknown = dropped["unknown_codes"]?.listValue?.compactMap(\.mapValue)
        #expect(unknown?.count == 1 && unknown?.first?["code"] == .string("271000") && unknown?.first?["rows"] == .int(2))
        #expect(unknown?.first?["value"]?.doubleValue == 130)

        let failing = try Self.project(csv, "h: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from: HS2002}}")
        defer { failing.cleanUp() }
        let failed = try failing.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(!failed.summary.succeeded)
        #expect(failed.record.stages.compactMap(\.message).first { $0.contains("row 1: product 271000 is not a 6-digit HS2002 code") && $0.contains("unknown: keep") } != nil,
                "\(failed.record.stages.compactMap(\.message))")
    }

    @Test("every HS1996, HS2002, HS2012, HS2017 and HS2022 code of the UNSD tables, mixed in one file by a vintage column, harmonises to HS2007 4-digit headings with the total value equal to 1e-9 relative")
    func conservation() throws {
        var csv = "firm,year,vintage,product,value\n"
        var total = 0.0, rows = 0
        for (vintage, column) in [("HS1996", "hs1996"), ("H2", "hs2002"), ("2012", "hs2012"), ("HS2017", "hs2017"), ("HS2022", "hs2022")] {
            let text = try String(contentsOf: Self.repository.appendingPathComponent("Sources/PaperflowStages/Trade/HS/\(column)_hs2007.csv"), encoding: .utf8)
            let lines = text.split(whereSeparator: \.isNewline)
            let position = lines[0].split(separator: ",").firstIndex(of: Substring(column))!
            var seen = Set<Substring>()
            for line in lines.dropFirst() {
                let code = line.split(separator: ",", omittingEmptySubsequences: false)[position]
                guard seen.insert(code).inserted else { continue }
                rows += 1
                let value = Double((rows * 7919) % 100_003) + 0.25
                total += value
                csv += "F\(rows % 50),\(2000 + rows % 3),\(vintage),\(code),\(value)\n"
            }
        }
        let project = try Self.project(csv, "h: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: {from_column: vintage, digits: 4}}")
        defer { project.cleanUp() }
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let output = try Self.table(project, "h/harmonized.pftable")
        #expect(output.names == ["firm", "year", "product", "value"])
        let out = output["value"]!.numericValues()!.reduce(0, +)
        #expect(abs(out - total) <= 1e-9 * total, "in \(total), out \(out)")
        let products = Set((0..<output.rowCount).map { output["product"]![$0].description })
        #expect(products.allSatisfy { $0.count == 4 })
        let report = try Self.report(project, "h/harmonize.json")
        #expect(report["rows_in"] == .int(Int64(rows)))
        let byRule = (report["rules"]?.listValue ?? []).compactMap(\.mapValue).compactMap { $0["value"]?.doubleValue }.reduce(0, +)
        #expect(abs(byRule - total) <= 1e-9 * total)
        #expect(report["unknown_codes"] == .list([]))
    }

    @Test("bad input is named: a numeric code column, a negative value, an unknown vintage, neither from nor from_column")
    func badInput() throws {
        let cases: [(csv: String, with: String, schema: String, message: String)] = [
            ("firm,product,value\nF1,852520,1\n", "{from: HS2002}", "{}", "holds numbers, so codes such as 0101 have lost their leading zero"),
            ("firm,product,value\nF1,852520,1\nF1,010110,-3\n", "{from: HS2002}", "{product: string}", "row 2: value is -3.0; trade values must be zero or positive"),
            ("firm,product,value,v\nF1,852520,1,HS2002\nF1,010110,3,HS1992\n", "{from_column: v}", "{product: string}", "row 2: v is 'HS1992', not an HS vintage"),
            ("firm,product,value\nF1,852520,1\n", "{}", "{product: string}", "set either from"),
        ]
        for (csv, with, schema, message) in cases {
            let project = try Self.project(csv, "h: {uses: trade.harmonize-hs@1, inputs: {records: records.table}, with: \(with)}", schema: schema)
            defer { project.cleanUp() }
            let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
            #expect(run.record.stages.compactMap(\.message).contains { $0.contains(message) }, "\(run.record.stages.compactMap(\.message))")
        }
    }

    /// A project reading the shipped customs sample (firm ids and codes as text) and running `stages`.
    static func customs(_ stages: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "trade/customs_sample.csv", to: "data/customs.csv")
        try project.writeWorkflow("t", stages: "records: {uses: io.csv@2, with: {path: data/customs.csv, schema: {product: string, firm: string, mode: string}}}\n" + stages)
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        return project
    }

    @Test("trade.filter-firms drops liu-zhu's intermediaries (进出口, 物流, an English 'Trading') and processing-trade records, and reports firms, records and value per rule")
    func filterFirms() throws {
        let project = try Self.customs("filtered: {uses: trade.filter-firms@1, inputs: {records: records.table}}")
        defer { project.cleanUp() }
        let kept = try Self.table(project, "filtered/filtered.pftable")
        #expect(kept.rowCount == 17)
        #expect(Set((0..<kept.rowCount).map { kept["firm"]![$0].description }) == ["1001", "1004"])
        let report = try Self.report(project, "filtered/filter.json")
        #expect(report["records_in"] == .int(22) && report["records_out"] == .int(17) && report["firms_in"] == .int(5) && report["firms_out"] == .int(2))
        let rules = report["rules"]?.listValue?.compactMap(\.mapValue) ?? []
        #expect(rules.map { $0["rule"] } == [.string("names"), .string("mode")])
        #expect(rules[0]["firms"] == .int(3) && rules[0]["records"] == .int(3) && rules[0]["value"]?.doubleValue == 2525)
        #expect(rules[0]["firms_by_keyword"] == .map(["进出口": .int(1), "trading": .int(1), "物流": .int(1)]))
        #expect(rules[1]["firms"] == .int(0) && rules[1]["records"] == .int(2) && rules[1]["value"]?.doubleValue == 1400)
        #expect(rules[1]["records_by_mode"] == .map(["14": .int(1), "15": .int(1)]))
    }

    @Test("English keywords match whole words only: 'Trademark Holdings' stays, 'ACME Import & Export' goes")
    func wholeWords() throws {
        let project = try Self.project("firm,name,mode,product,value\nA,Trademark Holdings Ltd.,10,010110,1\nB,ACME Import & Export,10,010110,2\n",
                                       "f: {uses: trade.filter-firms@1, inputs: {records: records.table}}")
        defer { project.cleanUp() }
        let run = try project.run("Workflows/t.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let kept = try Self.table(project, "f/filtered.pftable")
        #expect(kept.rowCount == 1 && kept["firm"]![0] == .string("A"))
    }

    @Test("trade.aggregate sums exports to province × HS2 × year (subset, truncation, record counts); trade.new-products counts first-time exports after the 2002 base year")
    func aggregateAndNewProducts() throws {
        let project = try Self.customs("""
            provinces: {uses: trade.aggregate@1, inputs: {records: records.table}, with: {unit: province, year: year, digits: 2, subset: "flow == 'export'"}}
            firms: {uses: trade.aggregate@1, inputs: {records: records.table}, with: {unit: firm, year: year, subset: "flow == 'export'"}}
            fresh: {uses: trade.new-products@1, inputs: {table: firms.table}, with: {base_year: 2002}}
            """)
        defer { project.cleanUp() }
        let provinces = try Self.table(project, "provinces/aggregate.pftable")
        #expect(provinces.names == ["year", "province", "product", "value", "records"])
        var sums: [String: (Double, Int64)] = [:]
        let values = provinces["value"]!.numericValues()!
        for row in 0..<provinces.rowCount {
            guard case let .int64(records) = provinces["records"]![row] else { continue }
            sums["\(provinces["year"]![row]) \(provinces["province"]![row]) \(provinces["product"]![row])"] = (values[row], records)
        }
        #expect(sums["2002 Guangdong 85"]! == (960, 2) && sums["2002 Guangdong 94"]! == (75, 1) && sums["2013 Zhejiang 85"]! == (1780, 3))
        #expect(sums["2008 Shanghai 87"] == nil, "imports are left out by subset")
        #expect(abs(values.reduce(0, +) - 7245) < 1e-9, "the sample's exports, summed by awk")

        let fresh = try Self.table(project, "fresh/new-products.pftable")
        let rows = (0..<fresh.rowCount).map { "\(fresh["firm"]![$0]) \(fresh["year"]![$0]) \(fresh["products"]![$0]) \(fresh["new_products"]![$0])" }
        #expect(rows == ["1001 2008 3 2", "1001 2013 4 1", "1004 2008 2 1", "1004 2013 2 1"])
        #expect(fresh["newexport"]!.numericValues()! == [log1p(2), log1p(1), log1p(1), log1p(1)])
        let cells = try Self.table(project, "fresh/new-cells.pftable")
        let newCells = (0..<cells.rowCount).filter { cells["new"]![$0] == .bool(true) }.map { "\(cells["firm"]![$0]) \(cells["year"]![$0]) \(cells["product"]![$0])" }
        #expect(newCells == ["1001 2008 850440", "1001 2008 851712", "1001 2013 854231", "1004 2008 271000", "1004 2013 852580"])
    }
}
