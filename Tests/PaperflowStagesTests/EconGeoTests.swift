import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// Relatedness and regional indices against EconGeo (Balland, v1.3) and the shared formula
/// transliterations, on the tiny fixtures (`Tests/Fixtures/complexity/econgeo`, `formulas`).
@Suite("EconGeo cross-checks")
struct EconGeoTests {
    /// An R-written matrix CSV (row names in the first column) as [row: [column: value]]; NA is NaN.
    static func matrix(_ fixture: String) throws -> [String: [String: Double]] {
        let lines = try Fixtures.text("complexity/\(fixture)").split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).dropFirst().map { $0.replacingOccurrences(of: "\"", with: "") }
        var result: [String: [String: Double]] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.replacingOccurrences(of: "\"", with: "") }
            result[fields[0]] = Dictionary(uniqueKeysWithValues: zip(header, fields.dropFirst().map { Double($0) ?? .nan }))
        }
        return result
    }

    /// The firm co-export fixture (8 firms × 5 products, 0/1) as long rows.
    static var firmCoexport: String {
        get throws {
            let wide = try matrix("tiny_firm_coexport_wide.csv")
            var csv = "firm,product,value\n"
            for firm in wide.keys.sorted() {
                for product in wide[firm]!.keys.sorted() where wide[firm]![product]! > 0 { csv += "\(firm),\(product),1\n" }
            }
            return csv
        }
    }

    static func project(_ stages: String, files: [String: String]) throws -> TemporaryProject {
        let project = try TemporaryProject()
        var readers = ""
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            try project.write("data/\(name).csv", text)
            readers += "\(name): {uses: io.csv@2, with: {path: data/\(name).csv}}\n"
        }
        try project.writeWorkflow("e", stages: readers + stages)
        return project
    }

    static func run(_ stages: String, files: [String: String]) throws -> TemporaryProject {
        let project = try project(stages, files: files)
        let run = try project.run("Workflows/e.yaml", registry: BuiltinStages.registry)
        let failures = run.record.stages.compactMap(\.message)
        #expect(run.summary.succeeded, "\(failures)")
        return project
    }

    static func table(_ project: TemporaryProject, _ path: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/e/\(path)"))
    }

    /// A long table's `value` by (`row`, `column`) key columns; pairs not listed are 0.
    static func pairs(_ table: Table, _ row: String, _ column: String, _ value: String) -> [String: [String: Double]] {
        let values = table[value]!.numericValues()!
        var result: [String: [String: Double]] = [:]
        for index in 0..<table.rowCount { result[table[row]![index].description, default: [:]][table[column]![index].description] = values[index] }
        return result
    }

    /// The matrix without its diagonal cells.
    static func offDiagonal(_ matrix: [String: [String: Double]]) -> [String: [String: Double]] {
        Dictionary(uniqueKeysWithValues: matrix.map { row, cells in (row, cells.filter { $0.key != row }) })
    }

    /// Every cell of `expected` equals `actual` (absent = 0) to `tolerance` relative.
    static func expectMatch(_ actual: [String: [String: Double]], _ expected: [String: [String: Double]], tolerance: Double = 1e-9,
                            _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        var mismatches: [String] = []
        for (row, cells) in expected {
            for (column, want) in cells where !want.isNaN {
                let got = actual[row]?[column] ?? 0
                if abs(got - want) > tolerance * max(abs(want), 1e-300) && !(want == 0 && got == 0) { mismatches.append("\(row),\(column): \(got) vs \(want)") }
            }
        }
        #expect(mismatches.isEmpty, "\(what): \(mismatches.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test("relatedness.cooccurrence reproduces EconGeo's co.occurrence (with and without diagonal) and relatedness() by prob, association, cosine and Jaccard to 1e-9, on firm co-export and on regions by RCA; hidalgo with a zero diagonal matches formulas/")
    func cooccurrence() throws {
        var stages = ""
        for method in ["hidalgo", "association", "probability", "cosine", "jaccard"] {
            stages += "firm_\(method): {uses: relatedness.cooccurrence@1, inputs: {table: firms.table}, with: {unit: firm, presence: positive, method: \(method)}}\n"
            stages += "region_\(method): {uses: relatedness.cooccurrence@1, inputs: {table: regions.table}, with: {unit: region, year: year, method: \(method)}}\n"
        }
        let project = try Self.run(stages, files: ["firms": try Self.firmCoexport, "regions": try Fixtures.text("complexity/tiny_main_long.csv")])
        defer { project.cleanUp() }
        let names = ["hidalgo": "", "association": "association", "probability": "prob", "cosine": "cosine", "jaccard": "Jaccard"]
        for (method, econgeo) in names {
            let firms = try Self.table(project, "firm_\(method)/cooccurrence.pftable"), regions = try Self.table(project, "region_\(method)/cooccurrence.pftable")
            let firmValues = Self.pairs(firms, "product_1", "product_2", "relatedness"), regionValues = Self.pairs(regions, "product_1", "product_2", "relatedness")
            if method == "hidalgo" {
                Self.expectMatch(firmValues, try Self.matrix("formulas/firm_coexport_phi_hidalgo_diag0.csv"), "firm phi")
                Self.expectMatch(regionValues, try Self.matrix("formulas/tiny_main_phi_hidalgo_diag0.csv"), "region phi")
                // C with its diagonal (units having each product) and without it.
                let counts = Self.pairs(firms, "product_1", "product_2", "cooccurrence")
                Self.expectMatch(counts, try Self.matrix("econgeo/firm_coexport_cooccurrence_diag.csv"), "co.occurrence(diagonal = TRUE)")
                Self.expectMatch(Self.offDiagonal(counts), try Self.matrix("econgeo/firm_coexport_cooccurrence.csv"), "co.occurrence")
                Self.expectMatch(Self.offDiagonal(Self.pairs(regions, "product_1", "product_2", "cooccurrence")), try Self.matrix("econgeo/tiny_main_cooccurrence_from_RCA.csv"), "co.occurrence from RCA")
            } else {
                Self.expectMatch(firmValues, try Self.matrix("econgeo/firm_coexport_relatedness_\(econgeo).csv"), "firm \(econgeo)")
                Self.expectMatch(regionValues, try Self.matrix("econgeo/tiny_main_relatedness_\(econgeo).csv"), "region \(econgeo)")
                #expect(firmValues.allSatisfy { $0.value[$0.key] ?? 0 == 0 }, "EconGeo's diagonal is zero")
            }
        }
    }

    @Test("geo.location-quotient reproduces EconGeo's location.quotient and its binary form on tiny_main and tiny_edge (RCA ties at 1 specialised), leaving out and reporting the empty region and industry")
    func locationQuotient() throws {
        let project = try Self.run("""
            main_lq: {uses: geo.location-quotient@1, inputs: {table: main.table}, with: {unit: region, year: year}}
            edge_lq: {uses: geo.location-quotient@1, inputs: {table: edge.table}, with: {unit: region, year: year}}
            """, files: ["main": try Fixtures.text("complexity/tiny_main_long.csv"), "edge": try Fixtures.text("complexity/tiny_edge_long.csv")])
        defer { project.cleanUp() }
        for name in ["main", "edge"] {
            let table = try Self.table(project, "\(name)_lq/lq.pftable")
            Self.expectMatch(Self.pairs(table, "region", "product", "lq"), try Self.matrix("econgeo/tiny_\(name)_location.quotient.csv"), "\(name) LQ")
            let binary = try Self.table(project, "\(name)_lq/lq.pftable").deriving("b", type: .double) { row in
                row[table.names.firstIndex(of: "specialised")!] == .bool(true) ? .double(1) : .double(0)
            }
            Self.expectMatch(Self.pairs(binary, "region", "product", "b"), try Self.matrix("econgeo/tiny_\(name)_location.quotient_binary.csv"), "\(name) binary")
            #expect(table.rowCount == 30, "every cell of the 5 non-empty regions × 6 industries")
        }
        let report = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/e/edge_lq/lq.json").utf8))
        let year = report.mapValue?["years"]?.listValue?.first?.mapValue
        #expect(year?["units_without_value"] == .list([.string("R6")]) && year?["products_without_value"] == .list([.string("P7")]))
    }

    @Test("geo.specialisation reproduces EconGeo's Krugman, spec.coeff, Herfindahl, Hachman and mean LQ to 1e-9, its entropy to the 3 decimals and Hoover to the 2 it prints; varieties and a population-weighted Hoover match hand values")
    func specialisation() throws {
        let project = try Self.run("""
            main_s: {uses: geo.specialisation@1, inputs: {table: main.table}, with: {unit: region, year: year}}
            edge_s: {uses: geo.specialisation@1, inputs: {table: edge.table}, with: {unit: region, year: year}}
            hand_s: {uses: geo.specialisation@1, inputs: {table: hand.table, population: people.table}, with: {unit: region, pad_product: 4}}
            """, files: ["main": try Fixtures.text("complexity/tiny_main_long.csv"), "edge": try Fixtures.text("complexity/tiny_edge_long.csv"),
                         "hand": "region,product,value\nA,0101,2\nA,0102,2\nA,0201,4\nB,0101,6\n", "people": "region,population\nA,1\nB,3\n"])
        defer { project.cleanUp() }
        let columns = ["Krugman": "krugman", "spec.coeff": "specialisation_coefficient", "Herfindahl": "herfindahl", "Hachman": "hachman", "LQ_avg": "lq_mean"]
        for name in ["main", "edge"] {
            let units = try Self.table(project, "\(name)_s/specialisation.pftable")
            let expected = try Self.matrix("econgeo/tiny_\(name)_region_indices.csv")
            #expect(units.rowCount == 5, "the empty region R6 has no indices (EconGeo: NA)")
            for (econgeo, ours) in columns {
                let got = Self.pairs(units, "region", "year", ours).mapValues { [econgeo: $0.values.first!] }
                Self.expectMatch(got, expected.filter { $0.key != "R6" }.mapValues { [econgeo: $0[econgeo]!] }, "\(name) \(econgeo)")
            }
            let entropy = Self.pairs(units, "region", "year", "entropy")
            for (region, want) in expected where region != "R6" {
                #expect(((entropy[region]!.values.first! * 1000).rounded() / 1000) == want["entropy"]!, "\(name) \(region) entropy")
            }
            let hoover = try Self.table(project, "\(name)_s/hoover.pftable"), values = hoover["hoover"]!.numericValues()!
            let printed = try Fixtures.text("complexity/econgeo/tiny_\(name)_Hoover.index_equalpop.csv").split(whereSeparator: \.isNewline).dropFirst()
                .map { $0.split(separator: ",") }.filter { $0[2] != "NA" }
            #expect(hoover.rowCount == printed.count)
            for (row, fields) in printed.enumerated() {
                #expect(hoover["product"]![row].description == fields[1].replacingOccurrences(of: "\"", with: ""))
                #expect((values[row] * 100).rounded() / 100 == Double(fields[2])!, "\(name) Hoover \(fields[1])")
            }
        }
        // A: shares .25/.25/.5 in chapters 01 (.5) and 02 (.5): unrelated 1 bit, related .5 × 1 + .5 × 0.
        let hand = try Self.table(project, "hand_s/specialisation.pftable")
        #expect(hand["unrelated_variety"]![0] == .double(1) && hand["related_variety"]![0] == .double(0.5) && hand["entropy"]![0] == .double(1.5))
        // Populations 1 and 3: 0101 sits .25/.75 like the people (Hoover 0); 0102 only in A: ½(|1 − .25| + .75) = 75%.
        let hoover = try Self.table(project, "hand_s/hoover.pftable")
        #expect(hoover["hoover"]!.numericValues()! == [0, 75, 75])
    }

    @Test("geo.coagglomeration reproduces the formulas/ CO index of an-fu-2026 (LQs, 1 − |a − b|/(a + b), and CO) to 1e-9, and Ellison–Glaeser γ equals its definition computed here")
    func coagglomeration() throws {
        let wide = try Self.matrix("formulas/tiny_coagg_employment.csv")
        var csv = "city,industry,value\n"
        for city in wide.keys.sorted() { for industry in ["manuf", "psvc", "other"] { csv += "\(city),\(industry),\(wide[city]![industry]!)\n" } }
        let project = try Self.run("co: {uses: geo.coagglomeration@1, inputs: {table: jobs.table}, with: {unit: city, product: industry, pair: [manuf, psvc]}}",
                                   files: ["jobs": csv])
        defer { project.cleanUp() }
        let units = try Self.table(project, "co/co.pftable")
        let expected = try Self.matrix("formulas/tiny_coagg_CO.csv")
        for (ours, theirs) in [("lq_1", "LQ_manuf"), ("lq_2", "LQ_psvc"), ("quality", "CO_1_minus_absdiff_over_sum"), ("co", "CO_plus_sum")] {
            Self.expectMatch(Self.pairs(units, "city", "co", ours).mapValues { [theirs: $0.values.first!] }, expected.mapValues { [theirs: $0[theirs]!] }, theirs)
        }
        // γ = Σ_r (s_ri − x_r)(s_rj − x_r) / (1 − Σ x_r²), written out for manuf × psvc.
        let cities = wide.keys.sorted(), total = wide.values.flatMap(\.values).reduce(0, +)
        let x = cities.map { wide[$0]!.values.reduce(0, +) / total }
        let manuf = cities.map { wide[$0]!["manuf"]! }, psvc = cities.map { wide[$0]!["psvc"]! }
        let numerator = cities.indices.map { (manuf[$0] / manuf.reduce(0, +) - x[$0]) * (psvc[$0] / psvc.reduce(0, +) - x[$0]) }.reduce(0, +)
        let gamma = numerator / (1 - x.map { $0 * $0 }.reduce(0, +))
        let pairs = try Self.table(project, "co/ellison-glaeser.pftable")
        #expect(pairs.rowCount == 3)
        let row = try #require((0..<pairs.rowCount).first { Set([pairs["industry_1"]![$0].description, pairs["industry_2"]![$0].description]) == ["manuf", "psvc"] })
        let got = pairs["ellison_glaeser"]!.numericValues()![row]
        #expect(abs(got - gamma) <= 1e-12 * abs(gamma), "\(got) vs \(gamma)")
    }

    @Test("relatedness.average-relatedness reproduces the formulas/ AR (Kogler et al. 2013) and mean density of held products to 1e-9; a region with one product has no AR and says why; product means follow φ")
    func averageRelatedness() throws {
        let project = try Self.run("ar: {uses: relatedness.average-relatedness@1, inputs: {table: main.table}, with: {unit: region, year: year}}",
                                   files: ["main": try Fixtures.text("complexity/tiny_main_long.csv")])
        defer { project.cleanUp() }
        let units = try Self.table(project, "ar/average-relatedness.pftable")
        let expected = try Self.matrix("formulas/tiny_main_average_relatedness.csv")
        for (ours, theirs) in [("products", "N_c"), ("average_relatedness", "AR_kogler2013"), ("mean_density", "mean_density_of_held_diag0")] {
            let got = Dictionary(uniqueKeysWithValues: (0..<units.rowCount).map { row in
                (units["region"]![row].description, [theirs: units[ours]!.isMissing(row) ? Double.nan : units[ours]!.numericValues()![row]])
            })
            Self.expectMatch(got, expected.mapValues { [theirs: $0[theirs]!] }, theirs)
        }
        let r1 = try #require((0..<units.rowCount).first { units["region"]![$0] == .string("R1") })
        #expect(units["average_relatedness"]!.isMissing(r1) && units["reason"]![r1] == .string("holds 1 product; AR needs two"))
        let phi = try Self.matrix("formulas/tiny_main_phi_hidalgo_diag0.csv")
        let products = Self.pairs(try Self.table(project, "ar/product-relatedness.pftable"), "product", "year", "mean_relatedness")
        Self.expectMatch(products, phi.mapValues { ["2000": $0.values.reduce(0, +) / 5] }, "product means")
    }

    @Test("relatedness.density with a presence input: liu-zhu's density of firm co-export φ (diagonal 0, formulas/) around each firm's own imports and its city's, by hand from φ to 1e-12; min_density keeps only the cells of interest")
    func importDensity() throws {
        let imports = "firm,city,product,value\nF1,C1,P3,5\nF1,C1,P4,1\nF2,C1,P5,2\nF3,C2,P1,7\nF9,C2,P2,1\n"
        let project = try Self.run("""
            own: {uses: relatedness.density@1, inputs: {table: firms.table, presence: imports.table}, with: {unit: firm, presence: positive, diagonal: zero}}
            cities: {uses: trade.aggregate@1, inputs: {records: imports.table}, with: {unit: city}}
            city: {uses: relatedness.density@1, inputs: {table: firms.table, presence: cities.table}, with: {unit: firm, presence_unit: city, presence: positive, diagonal: zero}}
            kept: {uses: relatedness.density@1, inputs: {table: firms.table, presence: imports.table}, with: {unit: firm, presence: positive, diagonal: zero, min_density: 0.3}}
            """, files: ["firms": try Self.firmCoexport, "imports": imports])
        defer { project.cleanUp() }
        let phi = try Self.matrix("formulas/firm_coexport_phi_hidalgo_diag0.csv"), products = phi.keys.sorted()
        func density(_ held: [String]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: products.map { p in
                (p, held.map { phi[$0]![p]! }.reduce(0, +) / products.map { phi[$0]![p]! }.reduce(0, +))
            })
        }
        let firmsHeld = ["F1": ["P3", "P4"], "F2": ["P5"], "F3": ["P1"], "F9": ["P2"]]
        Self.expectMatch(Self.pairs(try Self.table(project, "own/density.pftable"), "firm", "product", "density"),
                         firmsHeld.mapValues(density), tolerance: 1e-12, "firm import density")
        let cityHeld = ["C1": ["P3", "P4", "P5"], "C2": ["P1", "P2"]]
        let city = try Self.table(project, "city/density.pftable")
        #expect(city.names == ["city", "product", "presence", "density"] && city.rowCount == 10)
        Self.expectMatch(Self.pairs(city, "city", "product", "density"), cityHeld.mapValues(density), tolerance: 1e-12, "city import density")
        let kept = try Self.table(project, "kept/density.pftable"), all = try Self.table(project, "own/density.pftable")
        let allValues = all["density"]!.numericValues()!
        #expect(kept.rowCount == allValues.filter { $0 >= 0.3 }.count && kept.rowCount > 0 && kept.rowCount < all.rowCount)
        #expect(kept["density"]!.numericValues()!.allSatisfy { $0 >= 0.3 })
    }
}
