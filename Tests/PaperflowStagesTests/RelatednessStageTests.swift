import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The relatedness and complexity stages in workflows, against ecomplexity 0.5.3's outputs.
@Suite("Relatedness stages")
struct RelatednessStageTests {
    static func project(_ fixture: String, _ stages: String, data: String? = nil) throws -> TemporaryProject {
        let project = try TemporaryProject()
        if let data { try project.write("data/trade.csv", data) } else { try project.copy(fixture: "complexity/\(fixture)", to: "data/trade.csv") }
        try project.writeWorkflow("r", stages: "trade: {uses: io.csv@2, with: {path: data/trade.csv}}\n" + stages)
        return project
    }

    static func table(_ project: TemporaryProject, _ path: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/r/\(path)"))
    }

    @Test("complexity.eci-pci on the world data reproduces ecomplexity's ECI and PCI to 1e-9; R's standardisation is Python's × √((N−1)/N)")
    func world() throws {
        let project = try Self.project("world_trade_avg_1998_to_2000.csv", """
            complexity: {uses: complexity.eci-pci@1, inputs: {table: trade.table}, with: {unit: country}}
            r_convention: {uses: complexity.eci-pci@1, inputs: {table: trade.table}, with: {unit: country, standardization: sample}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let units = try Self.table(project, "complexity/eci.pftable"), r = try Self.table(project, "r_convention/eci.pftable")
        let (reference, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/world_trade_ecomplexity_eci_by_country.csv"), displayPath: "eci")
        var expected: [String: Double] = [:]
        let referenceECI = reference["eci"]!.numericValues()!
        for row in 0..<reference.rowCount { expected[reference["country"]![row].description] = referenceECI[row] }
        let eci = units["eci"]!.numericValues()!, rECI = r["eci"]!.numericValues()!
        let n = Double(units.rowCount)
        #expect(units.rowCount == 226)
        for row in 0..<units.rowCount {
            let want = try #require(expected[units["country"]![row].description])
            #expect(abs(eci[row] - want) <= 1e-9 * abs(want))
            #expect(abs(rECI[row] * (n / (n - 1)).squareRoot() - want) <= 1e-9 * abs(want))
        }
        let products = try Self.table(project, "complexity/pci.pftable")
        let (pciReference, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/world_trade_ecomplexity_pci_by_product.csv"), displayPath: "pci")
        let pci = products["pci"]!.numericValues()!, wantPCI = pciReference["pci"]!.numericValues()!
        var index: [String: Int] = [:]
        for row in 0..<products.rowCount { index[products["product"]![row].description] = row }
        for row in 0..<pciReference.rowCount {
            let got = pci[try #require(index[pciReference["product"]![row].description])]
            #expect(abs(got - wantPCI[row]) <= 1e-9 * abs(wantPCI[row]))
        }
    }

    /// Reflections converge towards a constant, so z-scoring order 18 divides by a spread some
    /// 10⁶ times smaller than the values: summation-order round-off (1e-14) becomes ~1e-8 on the
    /// world data. A numpy transliteration differs from economiccomplexity by the same 2.4e-8
    /// (absolute), so the world check is to 1e-7 absolute; tiny_main agrees to 1e-9 relative.
    @Test("complexity.eci-pci with method: reflections reproduces economiccomplexity 2.0's method of reflections (ECI and PCI, 20 iterations, ÷(N − 1)): tiny_main to 1e-9 relative, world to 1e-7 absolute")
    func reflections() throws {
        for (fixture, unit, name) in [("tiny_main_long.csv", "region", "tiny_main"), ("world_trade_avg_1998_to_2000.csv", "country", "world")] {
            let project = try Self.project(fixture, "r: {uses: complexity.eci-pci@1, inputs: {table: trade.table}, with: {unit: \(unit), method: reflections, standardization: sample}}")
            defer { project.cleanUp() }
            let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry)
            #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
            for (path, key, value, side) in [("r/eci.pftable", unit, "eci", "country"), ("r/pci.pftable", "product", "pci", "product")] {
                let table = try Self.table(project, path), values = table[value]!.numericValues()!
                var ours: [String: Double] = [:]
                for row in 0..<table.rowCount where !values[row].isNaN { ours[table[key]![row].description] = values[row] }
                let lines = try Fixtures.text("complexity/economiccomplexity/\(name)_reflections_\(side).csv").split(whereSeparator: \.isNewline).dropFirst()
                #expect(lines.count == ours.count, "\(name) \(side): every present one, no more")
                var worst = 0.0
                for line in lines {
                    let fields = line.split(separator: ","), want = Double(fields[1].trimmingCharacters(in: .whitespaces))!
                    let got = try #require(ours[String(fields[0])], "\(name) \(fields[0])")
                    worst = max(worst, name == "world" ? abs(got - want) : abs(got - want) / max(abs(want), 1e-12))
                }
                #expect(worst <= (name == "world" ? 1e-7 : 1e-9), "\(name) \(side): worst difference \(worst)")
            }
        }
    }

    @Test("tiny_edge: RCA ties at exactly 1 are present under at-least and absent under above; the all-zero region and product are reported; density matches ecomplexity")
    func tinyEdge() throws {
        let project = try Self.project("tiny_edge_long.csv", """
            rca: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {unit: region, year: year}}
            strict: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {unit: region, year: year, rule: above}}
            density: {uses: relatedness.density@1, inputs: {table: trade.table}, with: {unit: region, year: year}}
            proximity: {uses: relatedness.proximity@1, inputs: {table: trade.table}, with: {unit: region, year: year}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let rca = try Self.table(project, "rca/rca.pftable"), strict = try Self.table(project, "strict/rca.pftable")
        let values = rca["rca"]!.numericValues()!
        let ties = values.indices.filter { values[$0] == 1 }
        #expect(ties.count >= 2)
        for row in ties {
            #expect(rca["presence"]![row] == .bool(true))
            #expect(strict["presence"]![row] == .bool(false))
        }
        let report = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/r/rca/rca.json").utf8))
        let year = report.mapValue?["years"]?.listValue?.first?.mapValue
        #expect(year?["units_without_value"] == .list([.string("R6")]))
        #expect(year?["products_without_value"] == .list([.string("P7")]))
        let reference = try ComplexityTestsReference.cells("tiny_edge_ecomplexity_out_venv1.csv")
        let density = try Self.table(project, "density/density.pftable")
        let got = density["density"]!.numericValues()!
        #expect(density["density"]!.missingCount == 5, "P7 has no density for any of the 5 regions")
        #expect(density.rowCount == 5 * 7)
        for row in 0..<density.rowCount {
            let key = "\(density["region"]![row].description)|\(density["product"]![row].description)"
            if let want = reference[key] {
                #expect(abs(got[row] - want) <= 1e-9 * max(abs(want), 1e-300) || got[row] == want, "\(key)")
            } else {
                #expect(got[row].isNaN, "\(key): a product no region has")
            }
        }
    }

    /// economiccomplexity's `name, value` output (an unnamed first column, values space-padded).
    static func named(_ fixture: String) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for line in try Fixtures.text("complexity/\(fixture)").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            result[String(fields[0])] = Double(fields[1].trimmingCharacters(in: .whitespaces))
        }
        return result
    }

    @Test("complexity.prody-expy matches economiccomplexity's productivity_levels() to 1e-9 on the world data (185 countries with GDP) and tiny_main")
    func productivity() throws {
        for (trade, gdp, unit, prefix) in [("world_trade_avg_1998_to_2000.csv", "world_gdp_avg_1998_to_2000.csv", "country", "world"),
                                           ("tiny_main_long.csv", "tiny_gdp.csv", "region", "tiny_main")] {
            let project = try Self.project(trade, """
                gdp: {uses: io.csv@2, with: {path: data/gdp.csv}}
                levels:
                  uses: complexity.prody-expy@1
                  inputs: {table: trade.table, income: gdp.table}
                  with: {unit: \(unit), income_value: \(unit == "region" ? "gdppc" : "value")}
                """)
            defer { project.cleanUp() }
            try project.copy(fixture: "complexity/\(gdp)", to: "data/gdp.csv")
            let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry)
            #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
            let prody = try Self.table(project, "levels/prody.pftable"), expy = try Self.table(project, "levels/expy.pftable")
            let wantPRODY = try Self.named("\(prefix)_prody.csv"), wantEXPY = try Self.named("\(prefix)_expy.csv")
            let gotPRODY = prody["prody"]!.numericValues()!, gotEXPY = expy["expy"]!.numericValues()!
            for row in 0..<prody.rowCount {
                let want = try #require(wantPRODY[prody["product"]![row].description])
                #expect(abs(gotPRODY[row] - want) <= 1e-9 * abs(want))
            }
            var compared = 0
            for row in 0..<expy.rowCount where !gotEXPY[row].isNaN {
                let want = try #require(wantEXPY[expy[unit]![row].description], "\(expy[unit]![row])")
                #expect(abs(gotEXPY[row] - want) <= 1e-9 * abs(want))
                compared += 1
            }
            #expect(compared == wantEXPY.count)
        }
    }

    /// A firm panel (seeded): 120 firms, 3 years, 30 four-digit products, with a firm missing in a
    /// year; its imports for a presence input.
    static func firmPanel() -> (exports: String, imports: String) {
        var state: UInt64 = 20_261_207
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var exports = "firm,year,product,value\n", imports = "firm,year,product,value\n"
        for year in 2001...2003 {
            for firm in 1...120 where !(firm == 7 && year == 2002) {
                let home = firm % 30
                for (text, count) in [(0, 1 + next(5)), (1, 1 + next(3))] {
                    var seen: Set<Int> = []
                    for _ in 0..<count {
                        let product = (home + next(9) + (text == 1 ? 5 : 0)) % 30
                        guard seen.insert(product).inserted else { continue }
                        let line = "\(firm),\(year),\(String(format: "%04d", 100 + product)),\(1 + next(1000))\n"
                        if text == 0 { exports += line } else { imports += line }
                    }
                }
            }
        }
        return (exports, imports)
    }

    @Test("relatedness.density with a cells input: exactly the rows asked for, in their order, with the bits of the every-cell output; a firm with nothing that year has 0, an unknown product or year no density; with a presence input too")
    func chosenCells() throws {
        let panel = Self.firmPanel()
        let cells = """
            firm,year,product
            5,2002,0107
            3,2001,0101
            5,2002,0107
            7,2002,0110
            120,2003,0129
            999,2001,0105
            3,2001,9999
            3,1999,0101
            42,2003,0112

            """
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        _ = try project.write("data/exports.csv", panel.exports)
        _ = try project.write("data/imports.csv", panel.imports)
        _ = try project.write("data/cells.csv", cells)
        _ = try project.write("data/yearless.csv", "firm,product\n5,0107\n")
        // Firm ids read as text: they match no numeric firm.
        // (1,000 rows of ten ids: io.csv infers a category, the form a firm column of a customs file takes.)
        _ = try project.write("data/textual.csv", "firm,year,product\n" + (0..<1_000).map { "F\($0 % 10),2002,0107\n" }.joined())
        _ = try project.writeWorkflow("r", stages: """
            exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
            imports: {uses: io.csv@2, with: {path: data/imports.csv, schema: {product: string}}}
            wanted: {uses: io.csv@2, with: {path: data/cells.csv, schema: {product: string}}}
            every: {uses: relatedness.density@1, inputs: {table: exports.table}, with: {unit: firm, year: year}}
            chosen: {uses: relatedness.density@1, inputs: {table: exports.table, cells: wanted.table}, with: {unit: firm, year: year}}
            every_imports: {uses: relatedness.density@1, inputs: {table: exports.table, presence: imports.table}, with: {unit: firm, year: year, diagonal: zero}}
            chosen_imports: {uses: relatedness.density@1, inputs: {table: exports.table, presence: imports.table, cells: wanted.table}, with: {unit: firm, year: year, diagonal: zero}}
            refused: {uses: relatedness.density@1, inputs: {table: exports.table, cells: wanted.table}, with: {unit: firm, year: year, min_density: 0.1}}
            yearless: {uses: io.csv@2, with: {path: data/yearless.csv, schema: {product: string}}}
            no_year: {uses: relatedness.density@1, inputs: {table: exports.table, cells: yearless.table}, with: {unit: firm, year: year}}
            textual: {uses: io.csv@2, with: {path: data/textual.csv, schema: {product: string}}}
            text_firms: {uses: relatedness.density@1, inputs: {table: exports.table, cells: textual.table}, with: {unit: firm, year: year}}
            """)
        let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry, keepGoing: true)
        #expect(Set(run.summary.failed) == ["refused", "no_year", "text_firms"])
        for (every, chosen) in [("every", "chosen"), ("every_imports", "chosen_imports")] {
            let all = try Self.table(project, "\(every)/density.pftable"), picked = try Self.table(project, "\(chosen)/density.pftable")
            #expect(picked.names == ["year", "firm", "product", "presence", "density"])
            #expect(picked.rowCount == 9)
            var lookup: [String: (Bool, Double?)] = [:]
            let values = all["density"]!.numericValues()!, pickedValues = picked["density"]!.numericValues()!
            for row in 0..<all.rowCount {
                let key = "\(all["year"]![row])|\(all["firm"]![row])|\(all["product"]![row])"
                lookup[key] = (all["presence"]![row] == .bool(true), all["density"]!.isMissing(row) ? nil : values[row])
            }
            let expected: [(String, Bool, Double?)] = (0..<picked.rowCount).map { row in
                let key = "\(picked["year"]![row])|\(picked["firm"]![row])|\(picked["product"]![row])"
                return (key, lookup[key]?.0 ?? false, lookup[key]?.1)
            }
            for (row, (key, present, density)) in expected.enumerated() {
                let got = picked["density"]!.isMissing(row) ? nil : pickedValues[row]
                switch key {
                case "2002|7|0110", "2001|999|0105":
                    // No exports that year / never: nothing present, density 0 (the every-cell table lists no such firm-year).
                    #expect(got == 0 && picked["presence"]![row] == .bool(false), "\(every) \(key)")
                case "2001|3|9999", "1999|3|0101":
                    #expect(got == nil, "\(every) \(key): a product or year the table does not have has no density")
                default:
                    // The same bits as the every-cell output.
                    #expect(density != nil && got?.bitPattern == density?.bitPattern, "\(every) \(key): \(String(describing: got)) vs \(String(describing: density))")
                    #expect((picked["presence"]![row] == .bool(true)) == present, "\(every) \(key)")
                }
            }
            // In the input's order, duplicates kept.
            #expect((0..<picked.rowCount).map { picked["firm"]![$0].description } == ["5", "3", "5", "7", "120", "999", "3", "3", "42"])
        }
        let log = try project.read("Artifacts/runs/\(try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent("Artifacts/runs").path).sorted().last!)")
        #expect(log.contains("with the cells input bound, every cell it lists comes out: leave min_density and the cells parameter at their defaults (filter the output instead)"))
        #expect(log.contains("the cells input has no column 'year' (its columns: firm, product); it lists the wanted cells by the columns of the table input"))
        #expect(log.contains("the cells input's firm is text but the table's is numbers; read both the same way (io.csv schema: {firm: string})"))
    }

    @Test("every cell is streamed to its file a range of firms at a time: it runs where holding it would not, with the bytes of the whole table; missing densities declared exactly (a product not traded that year; absent cells whose firms all hold it)")
    func everyCellStreamed() throws {
        let panel = Self.firmPanel()
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        // Product 0999 is traded in 2001 only: in 2002 and 2003 no firm has it, Σφ = 0, no density.
        _ = try project.write("data/exports.csv", panel.exports + "1,2001,0999,5000\n")
        // x from a presence input: in 2002 both firms that have anything hold 0102 (the product
        // nobody exports then), so its absent cells are none; in `lacking` firm 2 does not.
        _ = try project.write("data/small.csv", "firm,year,product,value\n1,2001,0101,5\n2,2001,0102,5\n1,2002,0101,5\n2,2002,0101,3\n")
        _ = try project.write("data/held.csv", "firm,year,product,value\n1,2001,0101,1\n1,2002,0102,1\n2,2002,0102,1\n2,2002,0101,1\n")
        _ = try project.write("data/lacking.csv", "firm,year,product,value\n1,2001,0101,1\n1,2002,0102,1\n2,2002,0101,1\n")
        _ = try project.write("Workflows/r.yaml", """
            workflow: r
            stages:
              exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
              small: {uses: io.csv@2, with: {path: data/small.csv, schema: {product: string}}}
              held: {uses: io.csv@2, with: {path: data/held.csv, schema: {product: string}}}
              lacking: {uses: io.csv@2, with: {path: data/lacking.csv, schema: {product: string}}}
              every: {uses: relatedness.density@1, inputs: {table: exports.table}, with: {unit: firm, year: year}}
              absent: {uses: relatedness.density@1, inputs: {table: exports.table}, with: {unit: firm, year: year, cells: absent}}
              absent_held: {uses: relatedness.density@1, inputs: {table: small.table, presence: held.table}, with: {unit: firm, year: year, cells: absent}}
              absent_lacking: {uses: relatedness.density@1, inputs: {table: small.table, presence: lacking.table}, with: {unit: firm, year: year, cells: absent}}

            """)
        // 3 years × 120 firms × 31 products ≈ 11,000 cells, about 0.4 MiB to hold: more than
        // half of a 512 KB limit, which refused it before it was streamed.
        let run = try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root, environment: ["PAPERFLOW_MEMORY_LIMIT": "524288"])
        #expect(run.status == 0, "\(run.stderr)")
        let firms = [120, 119, 120]  // firm 7 has nothing in 2002
        for (stage, rows, missing) in [("every", firms.reduce(0, +) * 31, true), ("absent", nil, true), ("absent_held", 2, false), ("absent_lacking", 3, true)] {
            let url = project.root.appendingPathComponent("Artifacts/r/\(stage)/density.pftable")
            let table = try BinaryTableFormat.read(contentsOf: url)
            // The whole-table writer's bytes.
            #expect(Array(try Data(contentsOf: url)) == BinaryTableFormat.encode(table), "\(stage)")
            #expect(table.names == ["year", "firm", "product", "presence", "density"])
            if let rows { #expect(table.rowCount == rows, "\(stage)") }
            #expect((table["density"]!.validity != nil) == missing, "\(stage)")
        }
        let every = try Self.table(project, "every/density.pftable"), absent = try Self.table(project, "absent/density.pftable")
        // Absent: every cell but the firm's own products, in the same order, with the same bits.
        let kept = (0..<every.rowCount).filter { every["presence"]![$0] == .bool(false) }
        #expect(absent == every.take(kept))
        // 2002–2003: 0999 has no density; 2001: it has one.
        for row in 0..<every.rowCount where every["product"]![row] == .string("0999") {
            #expect(every["density"]!.isMissing(row) == (every["year"]![row] != .int64(2001)))
        }
        // absent_held: 2001, φ = I (firm 1 exports 0101, firm 2 0102) and x lists firm 1 only
        // (0101): its absent 0102 has φ(0101,0102)/Σφ(·,0102) = 0/1. 2002: both firms export
        // 0101 only, so 0102 has no φ; firm 1 (x: 0102) lacks 0101, density 0/1; firm 2 holds both.
        let held = try Self.table(project, "absent_held/density.pftable")
        #expect((0..<held.rowCount).map { "\(held["year"]![$0])|\(held["firm"]![$0])|\(held["product"]![$0])|\(held["density"]![$0])" }
                == ["2001|1|0102|0.0", "2002|1|0101|0.0"])
    }

    @Test("every cell of a panel with text years (not streamed) too large for the machine is refused before it is tried, with the fix; a threshold runs")
    func tooManyCells() throws {
        let panel = Self.firmPanel()
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        _ = try project.write("data/exports.csv", panel.exports.split(separator: "\n").map { line in
            // firm,year,product,value → firm,Yyear,product,value (the header kept)
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if fields[1] != "year" { fields[1] = "Y" + fields[1] }
            return fields.joined(separator: ",") + "\n"
        }.joined())
        _ = try project.write("Workflows/r.yaml", """
            workflow: r
            stages:
              exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
              every: {uses: relatedness.density@1, inputs: {table: exports.table}, with: {unit: firm, year: year}}
              kept: {uses: relatedness.density@1, inputs: {table: exports.table}, with: {unit: firm, year: year, min_density: 0.05}}

            """)
        // 3 years × 120 firms × 30 products = 10,800 cells ≈ 367 KB: refused under a 512 KB limit.
        let run = try PaperflowProcess.run(["run", "Workflows/r.yaml", "--keep-going"], in: project.root,
                                           environment: ["PAPERFLOW_MEMORY_LIMIT": "524288"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("FAILED   every: every firm × product cell of 3 year(s) is 1.08e+04 cells, about 0.4 MiB to hold — more than half of the 0.5 MiB of memory here; set min_density (liu-zhu-2021 keeps density > 0.05), or bind the cells input with the cells the regression needs"), "\(run.stderr)")
        #expect(run.stdout.contains("done     kept"), "\(run.stdout)")
        let again = try PaperflowProcess.run(["run", "Workflows/r.yaml"], in: project.root)
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test("bad trade input is refused with the row and the fix", arguments: [
        ("year,unit,product,value\n2000,A,0101,5\n2000,A,0101,7\n", "rows 1 and 2 are both unit A, product 0101, year 2000; aggregate them first or drop the duplicate"),
        ("year,unit,product,value\n2000,A,0101,5\n2000,B,0102,-7\n", "row 2: value is -7.0; values must be zero or positive"),
        ("year,unit,product,value\n2000,A,101,5\n2000,B,102,7\n",
         "product column 'product' holds numbers, so codes such as 0101 have lost their leading zero; read it as text (io.csv: schema: {product: string}) or set pad_product: 4 (or 6) to zero-pad them"),
        ("year,unit,product,value\n2000,A,0101,\n2000,B,0102,7\n", "row 1 has no value; fill it in (0 for no trade) or filter the row out"),
    ])
    func badInput(data: String, message: String) throws {
        let project = try Self.project("", "rca: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {year: year}}", data: data)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/r.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "rca" }?.message == message)
    }

    @Test("pad_product zero-pads numeric codes and reports how many rows it fixed")
    func padded() throws {
        let project = try Self.project("", "rca: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {pad_product: 4}}",
                                       data: "unit,product,value\nA,101,5\nB,102,7\nB,1203,1\n")
        defer { project.cleanUp() }
        #expect(try project.run("Workflows/r.yaml", registry: BuiltinStages.registry).summary.succeeded)
        #expect(try Self.table(project, "rca/rca.pftable")["product"]!.values == [.string("0101"), .string("0102"), .string("1203")])
        let report = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/r/rca/rca.json").utf8))
        #expect(report.mapValue?["product_codes_padded"] == .int(2))
    }
}

/// ecomplexity's per-cell density of a tiny fixture, keyed region|product (empty cells left out).
enum ComplexityTestsReference {
    static func cells(_ fixture: String) throws -> [String: Double] {
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/\(fixture)"), displayPath: fixture)
        var result: [String: Double] = [:]
        for row in 0..<table.rowCount {
            if case let .double(value) = table["density"]![row] { result["\(table["region"]![row].description)|\(table["product"]![row].description)"] = value }
            else if case let .int64(value) = table["density"]![row] { result["\(table["region"]![row].description)|\(table["product"]![row].description)"] = Double(value) }
        }
        return result
    }
}
