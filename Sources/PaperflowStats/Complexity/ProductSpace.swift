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
    public func density(_ present: some Collection<Int32>) -> [Double] {
        let n = productCount
        var numerator = [Double](repeating: 0, count: n)
        for j in present {
            let base = Int(j) * n
            for p in 0..<n { numerator[p] += proximity[base + p] }
        }
        return (0..<n).map { columnSums[$0] > 0 ? numerator[$0] / columnSums[$0] : .nan }
    }
}
