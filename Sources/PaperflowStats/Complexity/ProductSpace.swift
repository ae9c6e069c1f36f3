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
    /// space; x_uj = 1 for the unit's products, rows ascending), on every core in blocks of
    /// units (`DensityKernel`): a unit with k products costs k·n additions, so a firm panel
    /// costs Σ k_u · n, never units × products memory beyond the cells kept.
    /// - Parameters:
    ///   - absentOnly: keep only products the unit does not have.
    ///   - minimum: keep only cells with density ≥ minimum (nil keeps every cell, NaN included:
    ///     a product nobody has has no density).
    public func densities(of presence: Presence, absentOnly: Bool = false, minimum: Double? = nil) -> DensityCells {
        var cells = DensityCells()
        densities(of: presence, absentOnly: absentOnly, minimum: minimum, appendingTo: &cells)
        return cells
    }

    /// `densities(of:absentOnly:minimum:)` appended to `result` (a panel's years, one after
    /// another, without copying each year's cells again).
    public func densities(of presence: Presence, absentOnly: Bool = false, minimum: Double? = nil, appendingTo result: inout DensityCells) {
        densityKernel(absentOnly: absentOnly, minimum: minimum).cells(of: presence, units: 0..<presence.unitCount, appendingTo: &result)
    }

    /// The kernel of `densities(of:absentOnly:minimum:)`, tiled once, to run on ranges of units
    /// in turn — so an output too large to hold is made a range at a time, with the same bits.
    public func densityKernel(absentOnly: Bool = false, minimum: Double? = nil) -> DensityKernel {
        DensityKernel(self, absentOnly: absentOnly, minimum: minimum)
    }
}

/// `ProductSpace.densities(of:absentOnly:minimum:)` for a range of units at a time.
///
/// φ is cut into column panels of `panelWidth`; a block of units runs panel by panel, so a φ
/// row segment is read from memory once per block rather than once per unit that has it (φ,
/// 12 MB for HS4, does not fit in cache; a panel does). Each numerator sums its rows in the
/// unit's row order, as one pass over whole rows would: the values are the same bits.
public struct DensityKernel: Sendable {
    /// Columns of φ in one panel of the density kernel: a panel (n × 32 doubles, 312 KB for
    /// 1,222 HS4 headings) stays in a core's L2 while every unit of a block adds its rows.
    static let panelWidth = 32

    let productCount: Int, columnSums: [Double], absentOnly: Bool, minimum: Double?
    /// Panel t holds φ[j, t·width ..< t·width + width] for every j, contiguous, zero-padded.
    let panels: [Double]
    /// Below cut[p] a numerator cannot reach `minimum` (a margin far above round-off), so most
    /// cells of a firm panel are passed over without a division. A product with no proximity
    /// gets −∞: its NaN density is formed and then fails the minimum test.
    let cut: [Double]

    init(_ space: ProductSpace, absentOnly: Bool, minimum: Double?) {
        let n = space.productCount, width = Self.panelWidth
        let panelCount = (n + width - 1) / width
        var panels = [Double](repeating: 0, count: panelCount * n * width)
        for t in 0..<panelCount {
            for j in 0..<n {
                for c in 0..<min(width, n - t * width) { panels[(t * n + j) * width + c] = space.proximity[j * n + t * width + c] }
            }
        }
        self.panels = panels
        productCount = n
        columnSums = space.columnSums
        self.absentOnly = absentOnly
        self.minimum = minimum
        cut = space.columnSums.map { sum in
            minimum.map { minimum in sum > 0 ? minimum * sum - abs(minimum * sum) * 1e-12 : -.infinity } ?? -.infinity
        }
    }

    /// The density cells of `units` (rows of `presence`: product indices into this space,
    /// x_uj = 1 for the unit's products, rows ascending), unit by unit and by product within a
    /// unit, appended to `result`; on every core in blocks of units. A unit with k products
    /// costs k·n additions, never units × products memory beyond the cells kept.
    public func cells(of presence: Presence, units range: Range<Int>, appendingTo result: inout DensityCells) {
        let n = productCount, width = Self.panelWidth, absentOnly = absentOnly, minimum = minimum
        let panelCount = (n + width - 1) / width
        let blockCount = max(1, min(range.count, 8 * ProcessInfo.processInfo.activeProcessorCount))
        let blocks = UnsafeMutableBufferPointer<DensityCells>.allocate(capacity: blockCount)
        blocks.initialize(repeating: DensityCells())
        defer { blocks.deinitialize().deallocate() }
        let shared = UncheckedSendable(blocks), rows = UncheckedSendable(presence)
        DispatchQueue.concurrentPerform(iterations: blockCount) { block in
            let presence = rows.value
            let first = range.lowerBound + range.count * block / blockCount, last = range.lowerBound + range.count * (block + 1) / blockCount
            // Each panel's cells, unit by unit; starts[t][k] is where unit first + k begins.
            var byPanel = [DensityCells](repeating: DensityCells(), count: panelCount)
            var starts = [Int](repeating: 0, count: panelCount * (last - first + 1))
            var cursor = Array(presence.rowStarts[first..<last])
            let numerator = UnsafeMutableBufferPointer<Double>.allocate(capacity: width)
            defer { numerator.deallocate() }
            panels.withUnsafeBufferPointer { panels in
                cut.withUnsafeBufferPointer { cuts in
                    presence.products.withUnsafeBufferPointer { products in
                        for t in 0..<panelCount {
                            let panel = panels.baseAddress! + t * n * width, columns = min(width, n - t * width)
                            var cells = byPanel[t]
                            byPanel[t] = DensityCells()
                            for unit in first..<last {
                                let k = unit - first, end = presence.rowStarts[unit + 1]
                                starts[t * (last - first + 1) + k] = cells.units.count
                                let rowStart = presence.rowStarts[unit]
                                guard rowStart < end else { continue }
                                _ = numerator.update(fromContentsOf: UnsafeBufferPointer(start: panel + Int(products[rowStart]) * width, count: width))
                                for index in (rowStart + 1)..<end {
                                    let source = panel + Int(products[index]) * width
                                    // Contiguous and alias-free: the compiler vectorises this loop.
                                    for c in 0..<width { numerator[c] += source[c] }
                                }
                                // The unit's own products in this panel, as bits.
                                var own: UInt64 = 0, next = cursor[k]
                                while next < end, Int(products[next]) < t * width + columns {
                                    own |= 1 << UInt64(Int(products[next]) - t * width)
                                    next += 1
                                }
                                cursor[k] = next
                                let cut = cuts.baseAddress! + t * width
                                var group = 0
                                while group < columns {
                                    let end = min(group + 8, columns)
                                    // Eight columns none of which reaches its cut are passed over
                                    // with one vector compare: with min_density, the usual case.
                                    if end - group == 8,
                                       !any(UnsafeRawPointer(numerator.baseAddress! + group).loadUnaligned(as: SIMD8<Double>.self)
                                            .>= UnsafeRawPointer(cut + group).loadUnaligned(as: SIMD8<Double>.self)) {
                                        group = end
                                        continue
                                    }
                                    for c in group..<end where numerator[c] >= cut[c] {
                                        let p = t * width + c, has = own & (1 << UInt64(c)) != 0
                                        if absentOnly && has { continue }
                                        let sum = columnSums[p]
                                        let density = sum > 0 ? numerator[c] / sum : .nan
                                        if let minimum, !(density >= minimum) { continue }
                                        cells.units.append(Int32(unit)); cells.products.append(Int32(p)); cells.present.append(has); cells.values.append(density)
                                    }
                                    group = end
                                }
                            }
                            starts[t * (last - first + 1) + last - first] = cells.units.count
                            byPanel[t] = cells
                        }
                    }
                }
            }
            // Unit-major order again: each unit's cells from every panel, products ascending.
            var cells = DensityCells()
            let total = byPanel.reduce(0) { $0 + $1.units.count }
            cells.units.reserveCapacity(total); cells.products.reserveCapacity(total)
            cells.present.reserveCapacity(total); cells.values.reserveCapacity(total)
            for k in 0..<(last - first) {
                for t in 0..<panelCount {
                    let range = starts[t * (last - first + 1) + k]..<starts[t * (last - first + 1) + k + 1]
                    guard !range.isEmpty else { continue }
                    cells.units += byPanel[t].units[range]; cells.products += byPanel[t].products[range]
                    cells.present += byPanel[t].present[range]; cells.values += byPanel[t].values[range]
                }
            }
            shared.value[block] = cells
        }
        let total = result.units.count + blocks.reduce(0) { $0 + $1.units.count }
        result.units.reserveCapacity(total); result.products.reserveCapacity(total)
        result.present.reserveCapacity(total); result.values.reserveCapacity(total)
        for block in blocks {
            result.units += block.units; result.products += block.products; result.present += block.present; result.values += block.values
        }
    }
}

extension ProductSpace {
    /// The density of chosen cells only — a regression's (unit, product) pairs rather than every
    /// unit × product — written at `positions` of `density` and `present`: cell i is unit
    /// `units[i]` (a row of `presence`; −1: a unit with nothing present, density 0) and product
    /// `products[i]` (−1, or a product no unit has: no density, NaN). A cell costs the unit's
    /// row length; the numerator adds φ[j, p] over the unit's products j in row order, as
    /// `densities(of:)` does, so a chosen cell has the same bits as in the every-cell output.
    public func densities(of presence: Presence, units: [Int32], products: [Int32], positions: [Int],
                          density: UnsafeMutableBufferPointer<Double>, present: UnsafeMutableBufferPointer<Bool>) {
        let n = productCount, count = units.count
        let chunks = max(1, min(count / 65_536 + 1, 8 * ProcessInfo.processInfo.activeProcessorCount))
        let shared = UncheckedSendable((density, present)), rows = UncheckedSendable(presence)
        proximity.withUnsafeBufferPointer { phi in
            let phi = UncheckedSendable(phi)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let presence = rows.value, (density, present) = shared.value
                for i in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
                    let unit = Int(units[i]), p = Int(products[i]), at = positions[i]
                    guard p >= 0, columnSums[p] > 0 else { density[at] = .nan; present[at] = false; continue }
                    guard unit >= 0, presence.rowStarts[unit] < presence.rowStarts[unit + 1] else {
                        density[at] = 0; present[at] = false; continue
                    }
                    // φ is symmetric: φ[j, p] is φ[p, j], read along row p.
                    let row = phi.value.baseAddress! + p * n
                    var numerator = 0.0, has = false
                    for cell in presence.rowStarts[unit]..<presence.rowStarts[unit + 1] {
                        let j = Int(presence.products[cell])
                        numerator += row[j]
                        has = has || j == p
                    }
                    density[at] = numerator / columnSums[p]
                    present[at] = has
                }
            }
        }
    }
}
