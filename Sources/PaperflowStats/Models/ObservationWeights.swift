/// Observation weights and what they stand for, with Stata's three meanings — the estimates are
/// the same weighted fit under all three; N, the variance and the degrees of freedom differ:
///
/// - `analytic` (`aweight`; fixest's and pyfixest's `weights`, statsmodels' WLS `weights` and
///   GLM `var_weights`): each row is a mean of w observations, its variance ∝ 1/w. N is the
///   number of rows. Classical: σ̂² = Σ w e² / (N − K) times (X'WX)⁻¹ — the same whatever the
///   weights' scale. Robust and clustered: the sandwich with scores w·x·e.
/// - `frequency` (`fweight`; statsmodels' `freq_weights`, pyfixest's `fweights`): each row stands
///   for w identical rows (w must be a whole number). N is Σ w, so are the degrees of freedom;
///   the robust meat is Σ w (x e)², a cluster's score Σ w x e.
/// - `probability` (`pweight`, survey sampling weights): the inverse probability of selection.
///   Estimates as analytic; only robust or clustered covariances are defined (Stata refuses the
///   classical one), with the same sandwich as analytic weights.
public struct ObservationWeights: Sendable, Equatable {
    public enum WeightKind: String, Sendable, CaseIterable {
        case analytic, frequency, probability
    }

    public let values: [Double]
    public let kind: WeightKind

    public init(_ values: [Double], kind: WeightKind) {
        self.values = values
        self.kind = kind
    }

    /// The N of the small-sample factors and of σ̂²: Σ w for frequency weights, else the rows.
    public var count: Double {
        kind == .frequency ? values.reduce(0, +) : Double(values.count)
    }

    /// What multiplies an observation's score (x·e, or x·u for a GLM) in the meat of a
    /// sandwich: w, except √w for frequency weights with each observation its own cluster
    /// (Σ w (x e)²: the w replicated rows are w separate clusters).
    public func scoreFactor(_ row: Int, singletonClusters: Bool) -> Double {
        kind == .frequency && singletonClusters ? values[row].squareRoot() : values[row]
    }

    /// These weights over the rows `kept`.
    public func subset(_ kept: [Int]) -> ObservationWeights {
        ObservationWeights(kept.map { values[$0] }, kind: kind)
    }
}
