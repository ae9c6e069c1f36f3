import Foundation

/// Hidalgo et al.'s (2007) product space: proximity between products from their co-occurrence,
/// and the density around each product for each unit.
public struct ProductSpace: Sendable {
    /// Number of products.
    public let productCount: Int
    /// φ, products × products, row major, symmetric.
    public let proximity: [Double]
    /// Σ_j φ_jp for each p: the denominators of density.
    public let columnSums: [Double]

    /// What the diagonal of φ holds.
    public enum Diagonal: Sendable, Equatable {
        /// φ_ii = 1 (ecomplexity 0.5 in Python, economiccomplexity).
        case one
        /// φ_ii = 0 (Stata ecomplexity, EconGeo): a product does not count towards its own density.
        case zero
    }

    /// φ_ij = C_ij / max(k_i, k_j) with C = MᵀM and k the ubiquity — the minimum of the two
    /// conditional probabilities. A product no unit has gets φ = 0 with everything.
    public init(_ presence: Presence, diagonal: Diagonal = .one) {
        self.init(proximity: RelatednessMeasure.hidalgo.matrix(cooccurrence: presence.cooccurrence(), productCount: presence.productCount,
                                                               diagonal: diagonal == .one ? 1 : 0),
                  productCount: presence.productCount)
    }

    /// A product space from a given proximity matrix (row major, square).
    public init(proximity: [Double], productCount: Int) {
        precondition(proximity.count == productCount * productCount)
        self.productCount = productCount
        self.proximity = proximity
        var sums = [Double](repeating: 0, count: productCount)
        for j in 0..<productCount {
            for p in 0..<productCount { sums[p] += proximity[j * productCount + p] }
        }
        columnSums = sums
    }

    /// φ_ij.
    public subscript(i: Int, j: Int) -> Double { proximity[i * productCount + j] }

    /// Density of product p for a unit with presence row `present`: Σ_j M_uj φ_jp / Σ_j φ_jp
    /// (ecomplexity's `calc_density`, economiccomplexity's `density`). A product with no
    /// proximity to anything (no unit has it) has no density: NaN, as ecomplexity leaves it.
    /// One unit's row of `densities(of:)` (a unit with nothing present has density 0 wherever
    /// there is one).
    public func density(_ present: some Collection<Int32>) -> [Double] {
        guard !present.isEmpty else { return columnSums.map { $0 > 0 ? 0 : .nan } }
        return densities(of: Presence(productCount: productCount, rows: [Array(present)])).values
    }
}

/// Density cells of many units, unit by unit and by product within a unit.
public struct DensityCells: Sendable {
    public var units: [Int32] = [], products: [Int32] = [], present: [Bool] = [], values: [Double] = []

    public init() {}
}

extension ProductSpace {
    /// The density of every product for every unit of `presence` (product indices into this
    /// space; x_uj = 1 for the unit's products), computed on every core in blocks of units: a
    /// unit with k products costs k·n additions, so a firm panel costs Σ k_u · n, never
    /// units × products memory beyond the cells kept.
    /// - Parameters:
    ///   - absentOnly: keep only products the unit does not have.
    ///   - minimum: keep only cells with density ≥ minimum (nil keeps every cell, NaN included:
    ///     a product nobody has has no density).
    public func densities(of presence: Presence, absentOnly: Bool = false, minimum: Double? = nil) -> DensityCells {
        let n = productCount, units = presence.unitCount
        let sums = columnSums
        let blockCount = max(1, min(units, 8 * ProcessInfo.processInfo.activeProcessorCount))
        let blocks = UnsafeMutableBufferPointer<DensityCells>.allocate(capacity: blockCount)
        blocks.initialize(repeating: DensityCells())
        defer { blocks.deinitialize().deallocate() }
        let shared = UncheckedSendable(blocks), space = UncheckedSendable(self), rows = UncheckedSendable(presence)
        DispatchQueue.concurrentPerform(iterations: blockCount) { block in
            let presence = rows.value
            var cells = DensityCells()
            let numerator = UnsafeMutableBufferPointer<Double>.allocate(capacity: n), has = UnsafeMutableBufferPointer<Bool>.allocate(capacity: n)
            has.initialize(repeating: false)
            defer { numerator.deallocate(); has.deallocate() }
            let first = units * block / blockCount, last = units * (block + 1) / blockCount
            space.value.proximity.withUnsafeBufferPointer { phi in
                sums.withUnsafeBufferPointer { sums in
                    for unit in first..<last {
                        let row = presence.row(unit)
                        guard !row.isEmpty else { continue }
                        numerator.update(repeating: 0)
                        for j in row {
                            has[Int(j)] = true
                            let source = phi.baseAddress! + Int(j) * n
                            // Contiguous and alias-free: the compiler vectorises this loop.
                            for p in 0..<n { numerator[p] += source[p] }
                        }
                        for p in 0..<n where !(absentOnly && has[p]) {
                            let density = sums[p] > 0 ? numerator[p] / sums[p] : .nan
                            if let minimum, !(density >= minimum) { continue }
                            cells.units.append(Int32(unit)); cells.products.append(Int32(p)); cells.present.append(has[p]); cells.values.append(density)
                        }
                        for j in row { has[Int(j)] = false }
                    }
                }
            }
            shared.value[block] = cells
        }
        var result = DensityCells()
        for block in blocks {
            result.units += block.units; result.products += block.products; result.present += block.present; result.values += block.values
        }
        return result
    }
}
