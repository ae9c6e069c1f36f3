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
        for (row, value) in values.enumerated() where !(value.isFinite && value >= 0) { throw .invalidValue(row: row, value: value) }
        self.unitCount = unitCount
        self.productCount = productCount
        let layout = Self.unitOrdered(unitCount: unitCount, units: units, products: products, values: values)
            ?? Self.countingSorted(unitCount: unitCount, productCount: productCount, units: units, products: products, values: values)
        // Repeated cells sit side by side within a row, in input order (both layouts are stable).
        for unit in 0..<unitCount where layout.rowStarts[unit + 1] - layout.rowStarts[unit] > 1 {
            for cell in (layout.rowStarts[unit] + 1)..<layout.rowStarts[unit + 1] where layout.products[cell] == layout.products[cell - 1] {
                throw .duplicate(unit: unit, product: Int(layout.products[cell]), firstRow: layout.sourceRows[cell - 1], secondRow: layout.sourceRows[cell])
            }
        }
        rowStarts = layout.rowStarts
        self.products = layout.products
        self.values = layout.values
    }

    /// Cells laid out by unit, products ascending within a unit, with the input row of each.
    private typealias Layout = (rowStarts: [Int], products: [Int32], values: [Double], sourceRows: [Int])

    /// Any input order: two stable counting sorts (by product, then by unit) put each row's cells
    /// in product order in O(cells), with no per-unit arrays: a firm panel has millions of units.
    private static func countingSorted(unitCount: Int, productCount: Int, units: [Int32], products: [Int32], values: [Double]) -> Layout {
        var rowStarts = [Int](repeating: 0, count: unitCount + 1), productStarts = [Int](repeating: 0, count: productCount + 1)
        for row in values.indices where values[row] > 0 {
            rowStarts[Int(units[row]) + 1] += 1
            productStarts[Int(products[row]) + 1] += 1
        }
        for unit in 0..<unitCount { rowStarts[unit + 1] += rowStarts[unit] }
        for product in 0..<productCount { productStarts[product + 1] += productStarts[product] }
        let cellCount = rowStarts[unitCount]
        var byProduct = [Int](repeating: 0, count: cellCount)
        for row in values.indices where values[row] > 0 {
            byProduct[productStarts[Int(products[row])]] = row
            productStarts[Int(products[row])] += 1
        }
        var next = rowStarts, cellProducts = [Int32](repeating: 0, count: cellCount), cellValues = [Double](repeating: 0, count: cellCount)
        var sourceRows = [Int](repeating: 0, count: cellCount)
        for row in byProduct {
            let unit = Int(units[row])
            cellProducts[next[unit]] = products[row]
            cellValues[next[unit]] = values[row]
            sourceRows[next[unit]] = row
            next[unit] += 1
        }
        return (rowStarts, cellProducts, cellValues, sourceRows)
    }

    /// Rows already grouped by unit in ascending order (as a customs file sorted by firm, or any
    /// table this package wrote, arrives): cells stay where they are and only each short row is
    /// put in product order — sequential, where the counting sorts scatter across the whole
    /// panel. nil when the units are not in order.
    private static func unitOrdered(unitCount: Int, units: [Int32], products: [Int32], values: [Double]) -> Layout? {
        var previous: Int32 = -1
        for unit in units {
            guard unit >= previous else { return nil }
            previous = unit
        }
        var rowStarts = [Int](repeating: 0, count: unitCount + 1)
        var cellProducts = [Int32](), cellValues = [Double](), sourceRows = [Int]()
        cellProducts.reserveCapacity(units.count); cellValues.reserveCapacity(units.count); sourceRows.reserveCapacity(units.count)
        for (row, value) in values.enumerated() where value > 0 {
            rowStarts[Int(units[row]) + 1] += 1
            cellProducts.append(products[row]); cellValues.append(value); sourceRows.append(row)
        }
        for unit in 0..<unitCount { rowStarts[unit + 1] += rowStarts[unit] }
        for unit in 0..<unitCount where rowStarts[unit + 1] - rowStarts[unit] > 1 {
            let row = rowStarts[unit]..<rowStarts[unit + 1]
            if row.count > 32 {
                // A long row (a city, a country): sort a permutation, ties in input order.
                let order = row.sorted { (cellProducts[$0], sourceRows[$0]) < (cellProducts[$1], sourceRows[$1]) }
                let (rowProducts, rowValues, rowSources) = (order.map { cellProducts[$0] }, order.map { cellValues[$0] }, order.map { sourceRows[$0] })
                cellProducts.replaceSubrange(row, with: rowProducts); cellValues.replaceSubrange(row, with: rowValues)
                sourceRows.replaceSubrange(row, with: rowSources)
                continue
            }
            // Insertion sort by product, stable: a firm's row is a handful of products.
            for cell in row.dropFirst() {
                var position = cell
                let (product, value, source) = (cellProducts[cell], cellValues[cell], sourceRows[cell])
                while position > row.lowerBound, cellProducts[position - 1] > product {
                    cellProducts[position] = cellProducts[position - 1]; cellValues[position] = cellValues[position - 1]
                    sourceRows[position] = sourceRows[position - 1]
                    position -= 1
                }
                cellProducts[position] = product; cellValues[position] = value; sourceRows[position] = source
            }
        }
        return (rowStarts, cellProducts, cellValues, sourceRows)
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
