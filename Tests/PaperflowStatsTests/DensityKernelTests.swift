import PaperflowStats
import Testing

/// The blocked density kernel and the trade-matrix layouts against their definitions, written
/// out plainly, on seeded random panels (products not a multiple of the kernel's panel width,
/// so the last panel is partial; units with no products; long and short rows).
@Suite("Density kernel and trade-matrix layout")
struct DensityKernelTests {
    /// A random symmetric proximity with a few all-zero products, and random presence rows.
    static func panel(units: Int, products: Int, seed: UInt64) -> (ProductSpace, Presence) {
        var random = SeededGenerator(seed: seed)
        var phi = [Double](repeating: 0, count: products * products)
        for i in 0..<products where i % 11 != 5 {
            for j in i..<products where j % 11 != 5 {
                let value = i == j ? 1 : (random.unit() < 0.3 ? random.unit() : 0)
                phi[i * products + j] = value; phi[j * products + i] = value
            }
        }
        let rows = (0..<units).map { unit -> [Int32] in
            let size = unit % 9 == 0 ? 0 : unit % 13 == 0 ? products / 2 : 1 + Int(random.next() % 6)
            return Array(Set((0..<size).map { _ in Int32(random.next() % UInt64(products)) }))
        }
        return (ProductSpace(proximity: phi, productCount: products), Presence(productCount: products, rows: rows))
    }

    @Test("densities equal Σ_j x_uj φ_jp / Σ_j φ_jp cell by cell, bit for bit, with min_density and absent-only", arguments: [(77, 1), (32, 2), (100, 3)])
    func kernelMatchesDefinition(products: Int, seed: UInt64) {
        let (space, presence) = Self.panel(units: 60, products: products, seed: seed)
        for (absentOnly, minimum) in [(false, nil), (false, 0.3), (true, nil), (true, 0.05)] as [(Bool, Double?)] {
            var expected = DensityCells()
            for unit in 0..<presence.unitCount where !presence.row(unit).isEmpty {
                let row = Array(presence.row(unit))
                for p in 0..<products {
                    var numerator = 0.0
                    for j in row { numerator += space[Int(j), p] }
                    let density = space.columnSums[p] > 0 ? numerator / space.columnSums[p] : .nan
                    let has = row.contains(Int32(p))
                    if absentOnly && has { continue }
                    if let minimum, !(density >= minimum) { continue }
                    expected.units.append(Int32(unit)); expected.products.append(Int32(p)); expected.present.append(has); expected.values.append(density)
                }
            }
            let found = space.densities(of: presence, absentOnly: absentOnly, minimum: minimum)
            #expect(found.units == expected.units)
            #expect(found.products == expected.products)
            #expect(found.present == expected.present)
            #expect(found.values.map(\.bitPattern) == expected.values.map(\.bitPattern))
            #expect(!expected.units.isEmpty)
        }
    }

    @Test("the kernel run on ranges of units in turn (as an output streamed to its file is made) gives the whole run's cells, bit for bit", arguments: [1, 7, 16, 59])
    func kernelByRanges(unitsPerRange: Int) {
        let (space, presence) = Self.panel(units: 60, products: 77, seed: 4)
        for (absentOnly, minimum) in [(false, nil), (true, nil), (false, 0.2)] as [(Bool, Double?)] {
            let whole = space.densities(of: presence, absentOnly: absentOnly, minimum: minimum)
            let kernel = space.densityKernel(absentOnly: absentOnly, minimum: minimum)
            var pieces = DensityCells()
            for first in stride(from: 0, to: presence.unitCount, by: unitsPerRange) {
                kernel.cells(of: presence, units: first..<min(first + unitsPerRange, presence.unitCount), appendingTo: &pieces)
            }
            #expect(pieces.units == whole.units)
            #expect(pieces.products == whole.products)
            #expect(pieces.present == whole.present)
            #expect(pieces.values.map(\.bitPattern) == whole.values.map(\.bitPattern))
            #expect(whole.units.count > 300)
        }
    }

    @Test("a trade matrix is the same whether its rows arrive grouped by unit or shuffled (long rows, zero values dropped)")
    func unitOrderedLayout() throws {
        var random = SeededGenerator(seed: 7)
        var cells: [(unit: Int32, product: Int32, value: Double)] = []
        for unit in 0..<40 {
            let size = unit == 3 ? 70 : Int(random.next() % 8)
            let products = Array(Set((0..<size).map { _ in Int32(random.next() % 90) })).shuffled(using: &random)
            cells += products.map { (Int32(unit), $0, random.unit() < 0.1 ? 0 : random.unit() * 100) }
        }
        let shuffled = cells.shuffled(using: &random)
        let grouped = try TradeMatrix(unitCount: 40, productCount: 90, units: cells.map(\.unit), products: cells.map(\.product), values: cells.map(\.value))
        let scattered = try TradeMatrix(unitCount: 40, productCount: 90, units: shuffled.map(\.unit), products: shuffled.map(\.product), values: shuffled.map(\.value))
        #expect(grouped.rowStarts == scattered.rowStarts)
        #expect(grouped.products == scattered.products)
        #expect(grouped.values == scattered.values)
        #expect(grouped.products.count == cells.filter { $0.value > 0 }.count)
        #expect(grouped.rowStarts[4] - grouped.rowStarts[3] == cells.filter { $0.unit == 3 && $0.value > 0 }.count)
    }

    @Test("a duplicate cell names the same two input rows in either layout; a negative value its row")
    func duplicateRows() {
        // Rows 0–4 grouped by unit; rows 1 and 3 are both unit 0, product 7.
        let units: [Int32] = [0, 0, 0, 0, 1], products: [Int32] = [3, 7, 5, 7, 7], values = [1.0, 2, 3, 4, 5]
        #expect(throws: TradeMatrix.InputError.duplicate(unit: 0, product: 7, firstRow: 1, secondRow: 3)) {
            try TradeMatrix(unitCount: 2, productCount: 8, units: units, products: products, values: values)
        }
        #expect(throws: TradeMatrix.InputError.duplicate(unit: 0, product: 7, firstRow: 1, secondRow: 4)) {
            try TradeMatrix(unitCount: 2, productCount: 8, units: [1, 0, 0, 0, 0], products: [7, 7, 3, 5, 7], values: values)
        }
        #expect(throws: TradeMatrix.InputError.invalidValue(row: 2, value: -3)) {
            try TradeMatrix(unitCount: 2, productCount: 8, units: units, products: products, values: [1, 2, -3, 4, 5])
        }
    }
}
