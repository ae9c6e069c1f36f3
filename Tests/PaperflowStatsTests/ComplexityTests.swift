import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// RCA, proximity, density and ECI/PCI against ecomplexity 0.5.3 (Python) on the shared
/// fixtures: the tiny hand-made matrices (with RCA ties at exactly 1 and an all-zero region and
/// product) and the world trade data (226 countries × 785 SITC products).
@Suite("Complexity")
struct ComplexityTests {
    /// A long table (unit, product, value) as a matrix, units and products in sorted order.
    struct Loaded {
        var units: [String], products: [String]
        var matrix: TradeMatrix
    }

    static func load(_ fixture: String, unit: String, product: String = "product") throws -> Loaded {
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/\(fixture)"), displayPath: fixture)
        let units = table[unit]!.levelCodes(), products = table[product]!.levelCodes()
        let matrix = try TradeMatrix(unitCount: units.levels.count, productCount: products.levels.count, units: units.codes,
                                     products: products.codes, values: table["value"]!.numericValues()!)
        return Loaded(units: units.levels.map(\.description), products: products.levels.map(\.description), matrix: matrix)
    }

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    /// ecomplexity's per-cell output: (unit, product) → column → value (nil when empty).
    static func reference(_ fixture: String, unit: String) throws -> [String: [String: Double?]] {
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/\(fixture)"), displayPath: fixture)
        var cells: [String: [String: Double?]] = [:]
        for row in 0..<table.rowCount {
            var fields: [String: Double?] = [:]
            for name in table.names where ![unit, "product"].contains(name) {
                let value = table[name]![row]
                switch value {
                case let .double(v): fields[name] = v
                case let .int64(v): fields[name] = Double(v)
                default: fields[name] = .some(nil)
                }
            }
            cells["\(table[unit]![row].description)|\(table["product"]![row].description)"] = fields
        }
        return cells
    }

    /// Every cell's RCA (0 where nothing is stored; nil for an all-zero unit or product).
    static func rcaByCell(_ loaded: Loaded) -> [String: Double?] {
        let rca = loaded.matrix.rca(), unitTotals = loaded.matrix.unitTotals, productTotals = loaded.matrix.productTotals
        var result: [String: Double?] = [:]
        for unit in 0..<loaded.matrix.unitCount {
            for product in 0..<loaded.matrix.productCount {
                result["\(loaded.units[unit])|\(loaded.products[product])"] = unitTotals[unit] == 0 || productTotals[product] == 0 ? .some(nil) : 0
            }
            for cell in loaded.matrix.rowStarts[unit]..<loaded.matrix.rowStarts[unit + 1] {
                result["\(loaded.units[unit])|\(loaded.products[Int(loaded.matrix.products[cell])])"] = rca[cell]
            }
        }
        return result
    }

    @Test("tiny matrices: RCA, presence (RCA ≥ 1, ties included), density (φ_ii = 1), ECI and PCI match ecomplexity to 1e-9", arguments: ["tiny_main", "tiny_edge"])
    func tiny(_ name: String) throws {
        let loaded = try Self.load("\(name)_long.csv", unit: "region")
        let reference = try Self.reference("\(name)_ecomplexity_out_venv1.csv", unit: "region")
        let rca = Self.rcaByCell(loaded)
        let presence = Presence(loaded.matrix, cellValues: loaded.matrix.rca(), threshold: .atLeast(1))
        let space = ProductSpace(presence)
        let complexity = try ComplexityIndex(presence)
        var checked = 0
        for unit in 0..<loaded.matrix.unitCount {
            let density = space.density(presence.row(unit))
            for product in 0..<loaded.matrix.productCount {
                let key = "\(loaded.units[unit])|\(loaded.products[product])"
                let expected = try #require(reference[key])
                guard let expectedRCA = expected["rca"]!, let got = rca[key]! else {
                    // ecomplexity leaves an all-zero unit or product empty; so do we.
                    #expect(expected["rca"]! == nil && rca[key]! == nil, "\(key)")
                    #expect(complexity.eci[unit] == nil || complexity.pci[product] == nil, "\(key)")
                    continue
                }
                #expect(Self.relative(got, expectedRCA) < 1e-9 || (got == 0 && expectedRCA == 0), "\(key) rca")
                #expect((presence.row(unit).contains(Int32(product)) ? 1.0 : 0.0) == expected["mcp"]!, "\(key) mcp")
                #expect(Self.relative(density[product], expected["density"]!!) < 1e-9 || (density[product] == 0 && expected["density"]!! == 0), "\(key) density")
                #expect(Self.relative(complexity.eci[unit]!, expected["eci"]!!) < 1e-9, "\(key) eci \(complexity.eci[unit]!)")
                #expect(Self.relative(complexity.pci[product]!, expected["pci"]!!) < 1e-9, "\(key) pci \(complexity.pci[product]!)")
                checked += 1
            }
        }
        // 5 regions × 6 products; tiny_edge's all-zero region R6 and product P7 are the 12 left empty.
        #expect(checked == 30)
    }

    @Test("tiny proximity (φ_ij = C_ij / max(k_i, k_j), φ_ii = 1) matches ecomplexity exactly; φ_ii = 0 density matches the formulas fixture")
    func proximity() throws {
        let loaded = try Self.load("tiny_main_long.csv", unit: "region")
        let presence = Presence(loaded.matrix, cellValues: loaded.matrix.rca(), threshold: .atLeast(1))
        let space = ProductSpace(presence)
        let (table, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/tiny_main_ecomplexity_proximity_venv1.csv"), displayPath: "p")
        for row in 0..<table.rowCount {
            let i = loaded.products.firstIndex(of: table["product_1"]![row].description)!, j = loaded.products.firstIndex(of: table["product_2"]![row].description)!
            #expect(abs(space[i, j] - table["proximity"]!.numericValues()![row]) < 1e-15)
        }
        let zero = ProductSpace(presence, diagonal: .zero)
        let (expected, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/tiny_main_density_diag0.csv"), displayPath: "d")
        for row in 0..<expected.rowCount {
            let unit = loaded.units.firstIndex(of: expected["region"]![row].description)!
            let density = zero.density(presence.row(unit))
            for (product, name) in loaded.products.enumerated() {
                #expect(abs(density[product] - expected[name]!.numericValues()![row]) < 1e-12, "\(name)")
            }
        }
    }

    @Test("world trade, 226 × 785: ECI and PCI match ecomplexity to 1e-9; RCA, presence and density on a 7,714-cell sample")
    func world() throws {
        let loaded = try Self.load("world_trade_avg_1998_to_2000.csv", unit: "country")
        let rcaValues = loaded.matrix.rca()
        let presence = Presence(loaded.matrix, cellValues: rcaValues, threshold: .atLeast(1))
        let complexity = try ComplexityIndex(presence)
        let (eci, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/world_trade_ecomplexity_eci_by_country.csv"), displayPath: "eci")
        var worst = 0.0
        for row in 0..<eci.rowCount {
            let unit = try #require(loaded.units.firstIndex(of: eci["country"]![row].description))
            worst = max(worst, Self.relative(complexity.eci[unit]!, eci["eci"]!.numericValues()![row]))
            #expect(Double(presence.diversity[unit]) == eci["diversity"]!.numericValues()![row])
        }
        #expect(worst < 1e-9, "worst ECI relative error \(worst)")
        let (pci, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/world_trade_ecomplexity_pci_by_product.csv"), displayPath: "pci")
        worst = 0
        for row in 0..<pci.rowCount {
            let product = try #require(loaded.products.firstIndex(of: pci["product"]![row].description))
            worst = max(worst, Self.relative(complexity.pci[product]!, pci["pci"]!.numericValues()![row]))
        }
        #expect(worst < 1e-9, "worst PCI relative error \(worst)")
        let rca = Self.rcaByCell(loaded)
        let space = ProductSpace(presence)
        var densities: [Int: [Double]] = [:]
        let (sample, _) = try CSVReader.read(contentsOf: Fixtures.url("complexity/world_ecomplexity_cells_sample.csv"), displayPath: "sample")
        var worstRCA = 0.0, worstDensity = 0.0, mismatchedPresence = 0
        let unitIndex = Dictionary(uniqueKeysWithValues: loaded.units.enumerated().map { ($1, $0) })
        let productIndex = Dictionary(uniqueKeysWithValues: loaded.products.enumerated().map { ($1, $0) })
        let sampleRCA = sample["rca"]!.numericValues()!, sampleMCP = sample["mcp"]!.numericValues()!, sampleDensity = sample["density"]!.numericValues()!
        for row in 0..<sample.rowCount {
            let unit = unitIndex[sample["country"]![row].description]!, product = productIndex[sample["product"]![row].description]!
            let expectedRCA = sampleRCA[row], got = rca["\(loaded.units[unit])|\(loaded.products[product])"]!!
            if expectedRCA != 0 || got != 0 { worstRCA = max(worstRCA, Self.relative(got, expectedRCA)) }
            if (presence.row(unit).contains(Int32(product)) ? 1.0 : 0.0) != sampleMCP[row] { mismatchedPresence += 1 }
            let density = densities[unit] ?? space.density(presence.row(unit))
            densities[unit] = density
            let expected = sampleDensity[row]
            worstDensity = max(worstDensity, Self.relative(density[product], expected))
        }
        #expect(worstRCA < 1e-9 && worstDensity < 1e-9 && mismatchedPresence == 0,
                "RCA \(worstRCA), density \(worstDensity), presence mismatches \(mismatchedPresence)")
    }
}
