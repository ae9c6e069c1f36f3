import Foundation

/// A binary units × products matrix M (M_up = 1 when unit u "has" product p: exports it with
/// RCA ≥ 1, or a firm co-exports it), as sorted sparse rows, with diversity and ubiquity.
public struct Presence: Sendable, Equatable {
    public let unitCount: Int, productCount: Int
    /// Row starts into `products`.
    public let rowStarts: [Int]
    /// Present products of each unit, ascending.
    public let products: [Int32]

    /// From each unit's present products.
    public init(productCount: Int, rows: [[Int32]]) {
        unitCount = rows.count
        self.productCount = productCount
        var starts = [0]
        for row in rows { starts.append(starts.last! + row.count) }
        rowStarts = starts
        products = rows.flatMap { $0.sorted() }
    }

    /// How a value becomes presence.
    public enum Threshold: Sendable, Equatable {
        /// value ≥ t (ecomplexity, economiccomplexity, EconGeo: RCA ≥ 1).
        case atLeast(Double)
        /// value > t (the Stata original: RCA > 1).
        case above(Double)

        /// Whether `value` passes.
        public func holds(_ value: Double) -> Bool {
            switch self {
            case let .atLeast(t): return value >= t
            case let .above(t): return value > t
            }
        }
    }

    /// The cells of `matrix` whose `cellValues` (e.g. its RCA, in cell order) pass `threshold`.
    public init(_ matrix: TradeMatrix, cellValues: [Double], threshold: Threshold) {
        unitCount = matrix.unitCount
        productCount = matrix.productCount
        var starts = [Int](), kept = [Int32]()
        starts.reserveCapacity(matrix.unitCount + 1)
        kept.reserveCapacity(matrix.products.count)
        starts.append(0)
        for unit in 0..<matrix.unitCount {
            for cell in matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1] where threshold.holds(cellValues[cell]) { kept.append(matrix.products[cell]) }
            starts.append(kept.count)
        }
        rowStarts = starts
        products = kept
    }

    /// From sorted rows already laid out flat (`rowStarts`, `products`).
    public init(productCount: Int, rowStarts: [Int], products: [Int32]) {
        unitCount = rowStarts.count - 1
        self.productCount = productCount
        self.rowStarts = rowStarts
        self.products = products
    }

    /// The present products of `unit`.
    public func row(_ unit: Int) -> ArraySlice<Int32> { products[rowStarts[unit]..<rowStarts[unit + 1]] }

    /// k_u,0: the number of products each unit has.
    public var diversity: [Int] { (0..<unitCount).map { rowStarts[$0 + 1] - rowStarts[$0] } }

    /// k_p,0: the number of units that have each product.
    public var ubiquity: [Int] {
        var counts = [Int](repeating: 0, count: productCount)
        for product in products { counts[Int(product)] += 1 }
        return counts
    }

    /// C = MᵀM: how many units have both products, as a dense products × products matrix (row
    /// major), computed from the sparse rows on every core — a unit with k products adds k²
    /// pairs, so the cost is Σ k_u², never units × products.
    public func cooccurrence() -> [Double] {
        let n = productCount, units = unitCount
        // One partial matrix per core (each n² counts), units dealt round-robin.
        let slices = max(1, min(units, ProcessInfo.processInfo.activeProcessorCount))
        // Slices of units count into their own matrix (integers: exact), summed at the end.
        let partial = UnsafeMutableBufferPointer<[UInt32]>.allocate(capacity: slices)
        partial.initialize(repeating: [])
        defer { partial.deinitialize().deallocate() }
        let shared = UncheckedSendable(partial)
        let rows = UncheckedSendable(self)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            var counts = [UInt32](repeating: 0, count: n * n)
            let presence = rows.value
            // Through buffer pointers: a row slice per unit retained and released its array on
            // both cores (8% of a 300,000-firm density run).
            counts.withUnsafeMutableBufferPointer { counts in
                presence.rowStarts.withUnsafeBufferPointer { starts in
                    presence.products.withUnsafeBufferPointer { products in
                        for unit in stride(from: slice, to: units, by: slices) {
                            let row = starts[unit]..<starts[unit + 1]
                            for a in row {
                                let base = Int(products[a]) * n
                                for b in row { counts[base + Int(products[b])] &+= 1 }
                            }
                        }
                    }
                }
            }
            shared.value[slice] = counts
        }
        var total = [Double](repeating: 0, count: n * n)
        for slice in partial where !slice.isEmpty {
            for index in 0..<(n * n) where slice[index] != 0 { total[index] += Double(slice[index]) }
        }
        return total
    }
}
