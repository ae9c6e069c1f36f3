/// How relatedness between two products is read off their co-occurrence C = MᵀM (C_ij: units
/// having both; C_ii = k_i, units having i).
///
/// `hidalgo` is Hidalgo et al.'s (2007) proximity, min{P(i|j), P(j|i)} = C_ij / max(k_i, k_j),
/// as ecomplexity and economiccomplexity compute it. The other four are EconGeo's `relatedness()`
/// (Balland; v1.3) normalisations, which work on the co-occurrences between different products
/// only: with S_i = Σ_{j≠i} C_ij and S = Σ_i S_i,
/// - association: C_ij / (S_i S_j / S) (van Eck & Waltman 2009's association strength);
/// - probability: C_ij / [S_i S_j (1/(S − S_i) + 1/(S − S_j)) / 2] (EconGeo's default "prob");
/// - cosine: C_ij / √(S_i S_j);
/// - jaccard: C_ij / (S_i + S_j − C_ij);
/// and `count` is C_ij itself. A pair whose denominator is zero (a product that co-occurs with
/// nothing) has relatedness 0, as EconGeo leaves it.
public enum RelatednessMeasure: String, CaseIterable, Sendable {
    case hidalgo, association, probability, cosine, jaccard, count

    /// The products × products relatedness (row major) from `cooccurrence` (row major, C_ii = k_i),
    /// with `diagonal` on the diagonal of every product (0 for a product no unit has).
    public func matrix(cooccurrence c: [Double], productCount n: Int, diagonal: Double) -> [Double] {
        precondition(c.count == n * n)
        var strength = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<n where j != i { strength[i] += c[i * n + j] }
        }
        let total = strength.reduce(0, +)
        var r = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            r[i * n + i] = c[i * n + i] > 0 ? diagonal : 0
            for j in 0..<n where j != i && c[i * n + j] > 0 {
                let cij = c[i * n + j], si = strength[i], sj = strength[j]
                let denominator: Double
                switch self {
                case .hidalgo: denominator = max(c[i * n + i], c[j * n + j])
                case .association: denominator = si * sj / total
                case .probability: denominator = si * sj * (1 / (total - si) + 1 / (total - sj)) / 2
                case .cosine: denominator = (si * sj).squareRoot()
                case .jaccard: denominator = si + sj - cij
                case .count: denominator = 1
                }
                r[i * n + j] = denominator > 0 && denominator.isFinite ? cij / denominator : 0
            }
        }
        return r
    }
}
