/// A units × products matrix of non-negative values (exports, employment), stored by unit as
/// sparse rows: the input of RCA, presence, proximity, density and complexity. Cells not stored
/// are zero.
public struct TradeMatrix: Sendable {
    /// Number of units (countries, cities, firms) and products (HS headings, industries).
    public let unitCount: Int, productCount: Int
    /// Row starts into `products`/`values` (unitCount + 1 entries).
    public let rowStarts: [Int]
    /// Product index of each stored cell, ascending within a row.
    public let products: [Int32]
    /// Value of each stored cell (> 0).
    public let values: [Double]

    /// A cell given twice, or a value that is negative or not a number.
    public enum InputError: Error, Equatable, Sendable {
        case duplicate(unit: Int, product: Int, firstRow: Int, secondRow: Int)
        case invalidValue(row: Int, value: Double)
    }

    /// The matrix of `values[i]` at (`units[i]`, `products[i]`); zero values are dropped.
    /// - Throws: `InputError` naming the 0-based input rows of a duplicate cell or a negative /
    ///   non-finite value.
    public init(unitCount: Int, productCount: Int, units: [Int32], products: [Int32], values: [Double]) throws(InputError) {
        precondition(units.count == products.count && units.count == values.count)
        self.unitCount = unitCount
        self.productCount = productCount
        var counts = [Int](repeating: 0, count: unitCount + 1)
        for (row, value) in values.enumerated() {
            guard value.isFinite, value >= 0 else { throw .invalidValue(row: row, value: value) }
            if value > 0 { counts[Int(units[row]) + 1] += 1 }
        }
        for unit in 0..<unitCount { counts[unit + 1] += counts[unit] }
        var next = counts, cellProducts = [Int32](repeating: 0, count: counts[unitCount]), cellValues = [Double](repeating: 0, count: counts[unitCount])
        var sourceRow = [Int](repeating: 0, count: counts[unitCount])
        for row in values.indices where values[row] > 0 {
            let unit = Int(units[row])
            cellProducts[next[unit]] = products[row]
            cellValues[next[unit]] = values[row]
            sourceRow[next[unit]] = row
            next[unit] += 1
        }
        // Sort each row by product and refuse repeated cells.
        for unit in 0..<unitCount {
            let range = counts[unit]..<counts[unit + 1]
            let order = range.sorted { cellProducts[$0] != cellProducts[$1] ? cellProducts[$0] < cellProducts[$1] : sourceRow[$0] < sourceRow[$1] }
            let sortedProducts = order.map { cellProducts[$0] }, sortedValues = order.map { cellValues[$0] }, sortedRows = order.map { sourceRow[$0] }
            for offset in 1..<max(sortedProducts.count, 1) where sortedProducts[offset] == sortedProducts[offset - 1] {
                throw .duplicate(unit: unit, product: Int(sortedProducts[offset]), firstRow: sortedRows[offset - 1], secondRow: sortedRows[offset])
            }
            cellProducts.replaceSubrange(range, with: sortedProducts)
            cellValues.replaceSubrange(range, with: sortedValues)
        }
        rowStarts = counts
        self.products = cellProducts
        self.values = cellValues
    }

    /// Σ over products of each unit's values.
    public var unitTotals: [Double] {
        (0..<unitCount).map { unit in values[rowStarts[unit]..<rowStarts[unit + 1]].reduce(0, +) }
    }

    /// Σ over units of each product's values.
    public var productTotals: [Double] {
        var totals = [Double](repeating: 0, count: productCount)
        for (product, value) in zip(products, values) { totals[Int(product)] += value }
        return totals
    }

    /// Balassa's revealed comparative advantage (Balassa 1965) of every stored cell:
    /// RCA_up = (x_up / Σ_p x_up) / (Σ_u x_up / Σ_up x_up), in cell order. Cells not stored have
    /// RCA 0; a unit or product with no value at all has no RCA (its cells are not stored).
    public func rca() -> [Double] {
        let unitTotals = unitTotals, productTotals = productTotals
        let total = unitTotals.reduce(0, +)
        var result = [Double](repeating: 0, count: values.count)
        for unit in 0..<unitCount {
            for cell in rowStarts[unit]..<rowStarts[unit + 1] {
                result[cell] = (values[cell] / unitTotals[unit]) / (productTotals[Int(products[cell])] / total)
            }
        }
        return result
    }
}
