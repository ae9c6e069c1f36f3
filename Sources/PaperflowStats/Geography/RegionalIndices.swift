import Foundation

/// Indices of a region's economic structure from a regions × industries matrix of values
/// (employment, exports), following EconGeo (Balland, v1.3), whose functions they match:
/// `location.quotient`, `Krugman.index`, `spec.coeff`, `Herfindahl`, `entropy`, `Hachman`,
/// `Hoover.index`. Related and unrelated variety follow Frenken, van Oort & Verburg (2007).
public struct RegionalStructure: Sendable {
    /// The indices of one region; all nil for a region without any value (EconGeo's NA).
    public struct Region: Sendable, Equatable {
        /// Σ_i |s_ri − s_i|: distance of the region's industry shares s_ri from the shares s_i of
        /// all regions together (Krugman 1991; EconGeo's `Krugman.index`).
        public var krugman: Double?
        /// Half of it (EconGeo's `spec.coeff`).
        public var specialisationCoefficient: Double?
        /// Σ_i s_ri².
        public var herfindahl: Double?
        /// −Σ_i s_ri log₂ s_ri (EconGeo's `entropy`, which prints 3 decimals).
        public var entropy: Double?
        /// Σ_i s_ri LQ_ri, the share-weighted mean location quotient (EconGeo's `LQ_avg`).
        public var meanLocationQuotient: Double?
        /// 1 / Σ_i s_ri LQ_ri (Hachman 1994; EconGeo's `Hachman`).
        public var hachman: Double?
        /// Σ_g P_g H_g: entropy within groups of industries, weighted by the groups' shares P_g.
        public var relatedVariety: Double?
        /// −Σ_g P_g log₂ P_g: entropy between groups. related + unrelated = entropy.
        public var unrelatedVariety: Double?
    }

    public let regions: [Region]
    /// Hoover's index of each industry, in percent: ½ Σ_r |x_ri / X_i − p_r / P| × 100 against the
    /// regions' populations p (EconGeo's `Hoover.index`, which prints 2 decimals); nil for an
    /// industry without any value.
    public let hoover: [Double?]

    /// - Parameters:
    ///   - matrix: regions × industries values.
    ///   - groups: the group (e.g. HS2 chapter) of each industry, for the varieties.
    ///   - population: each region's population for Hoover's index (equal when nil).
    public init(_ matrix: TradeMatrix, groups: [Int], population: [Double]? = nil) {
        precondition(groups.count == matrix.productCount)
        let regionTotals = matrix.unitTotals, industryTotals = matrix.productTotals
        let total = regionTotals.reduce(0, +)
        let overall = industryTotals.map { $0 / total }
        let groupCount = (groups.max() ?? -1) + 1
        regions = (0..<matrix.unitCount).map { region in
            let cells = matrix.rowStarts[region]..<matrix.rowStarts[region + 1]
            guard regionTotals[region] > 0 else { return Region() }
            var krugman = 0.0, herfindahl = 0.0, entropy = 0.0, weightedLQ = 0.0
            var groupShares = [Double](repeating: 0, count: groupCount)
            var seen = [Bool](repeating: false, count: matrix.productCount)
            for cell in cells {
                let industry = Int(matrix.products[cell]), share = matrix.values[cell] / regionTotals[region]
                seen[industry] = true
                krugman += abs(share - overall[industry])
                herfindahl += share * share
                entropy -= share * log2(share)
                weightedLQ += share * share / overall[industry]
                groupShares[groups[industry]] += share
            }
            // Industries the region lacks are |0 − s_i| away.
            for industry in 0..<matrix.productCount where !seen[industry] { krugman += overall[industry] }
            let unrelated = groupShares.reduce(0) { $1 > 0 ? $0 - $1 * log2($1) : $0 }
            var related = 0.0
            for cell in cells {
                let share = matrix.values[cell] / regionTotals[region], group = groupShares[groups[Int(matrix.products[cell])]]
                related += share * log2(group / share)
            }
            return Region(krugman: krugman, specialisationCoefficient: krugman / 2, herfindahl: herfindahl, entropy: entropy,
                          meanLocationQuotient: weightedLQ, hachman: 1 / weightedLQ, relatedVariety: related, unrelatedVariety: unrelated)
        }
        let weights = population ?? [Double](repeating: 1, count: matrix.unitCount)
        let populationTotal = weights.reduce(0, +)
        var distance = [Double](repeating: 0, count: matrix.productCount)
        // ½ Σ_r |x_ri/X_i − p_r/P|: regions without industry i contribute p_r/P.
        var populationOfHolders = [Double](repeating: 0, count: matrix.productCount)
        for region in 0..<matrix.unitCount {
            for cell in matrix.rowStarts[region]..<matrix.rowStarts[region + 1] {
                let industry = Int(matrix.products[cell])
                distance[industry] += abs(matrix.values[cell] / industryTotals[industry] - weights[region] / populationTotal)
                populationOfHolders[industry] += weights[region]
            }
        }
        hoover = (0..<matrix.productCount).map { industry in
            industryTotals[industry] > 0 ? 50 * (distance[industry] + (populationTotal - populationOfHolders[industry]) / populationTotal) : nil
        }
    }
}

/// Co-agglomeration of industries across regions.
public enum Coagglomeration {
    /// Chen Jianjun's index as an-fu-2026 uses it, from two location quotients:
    /// CO = [1 − |a − b| / (a + b)] + (a + b): the first term is the quality of co-location (1
    /// when equal), the second its level. nil when both are 0.
    public static func chen(_ a: Double, _ b: Double) -> (quality: Double, index: Double)? {
        guard a + b > 0 else { return nil }
        let quality = 1 - abs(a - b) / (a + b)
        return (quality, quality + a + b)
    }

    /// Ellison & Glaeser's (1997) pairwise co-agglomeration without plant-level Herfindahls (as
    /// Ellison, Glaeser & Kerr 2010 compute it from area shares):
    /// γ_ij = Σ_r (s_ri − x_r)(s_rj − x_r) / (1 − Σ_r x_r²), with s_ri industry i's share of its
    /// value in region r and x_r region r's share of all value. Returns industries × industries
    /// (row major); nil entries for industries without value.
    public static func ellisonGlaeser(_ matrix: TradeMatrix) -> [Double?] {
        let n = matrix.productCount, regions = matrix.unitCount
        let regionTotals = matrix.unitTotals, industryTotals = matrix.productTotals
        let total = regionTotals.reduce(0, +)
        let x = regionTotals.map { $0 / total }
        // Dense regions × industries deviations: co-agglomeration is computed over tens of
        // industries and hundreds of regions, never firms.
        var deviation = [Double](repeating: 0, count: regions * n)
        for region in 0..<regions {
            for industry in 0..<n { deviation[region * n + industry] = -x[region] }
            for cell in matrix.rowStarts[region]..<matrix.rowStarts[region + 1] {
                let industry = Int(matrix.products[cell])
                deviation[region * n + industry] += matrix.values[cell] / industryTotals[industry]
            }
        }
        let denominator = 1 - x.reduce(0) { $0 + $1 * $1 }
        var gamma = [Double?](repeating: nil, count: n * n)
        for i in 0..<n where industryTotals[i] > 0 {
            for j in 0..<n where industryTotals[j] > 0 {
                var sum = 0.0
                for region in 0..<regions { sum += deviation[region * n + i] * deviation[region * n + j] }
                gamma[i * n + j] = sum / denominator
            }
        }
        return gamma
    }
}
