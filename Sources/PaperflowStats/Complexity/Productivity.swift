/// Hausmann, Hwang & Rodrik's (2007) productivity levels: PRODY_p, the income level of a product
/// (the GDP per capita of its exporters weighted by RCA-like shares), and EXPY_u, the income level
/// of a unit's export basket. Unrounded, as economiccomplexity's `productivity_levels()` (EconGeo
/// rounds RCA to 2 decimals first, errors up to 0.21%).
///
/// PRODY_p = Σ_u (x_up / X_u) / Σ_u' (x_u'p / X_u') · Y_u and EXPY_u = Σ_p (x_up / X_u) · PRODY_p,
/// over the units with an income Y (economiccomplexity keeps the units present in both tables).
public struct Productivity: Sendable {
    /// PRODY of each product (nil when no unit with an income exports it).
    public let prody: [Double?]
    /// EXPY of each unit (nil for a unit without income or without exports).
    public let expy: [Double?]

    /// - Parameter income: each unit's GDP per capita; nil leaves the unit out.
    public init(_ matrix: TradeMatrix, income: [Double?]) {
        precondition(income.count == matrix.unitCount)
        let totals = matrix.unitTotals
        var denominator = [Double](repeating: 0, count: matrix.productCount)
        var numerator = [Double](repeating: 0, count: matrix.productCount)
        for unit in 0..<matrix.unitCount {
            guard let y = income[unit], totals[unit] > 0 else { continue }
            for cell in matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1] {
                let share = matrix.values[cell] / totals[unit], product = Int(matrix.products[cell])
                denominator[product] += share
                numerator[product] += share * y
            }
        }
        let prody = (0..<matrix.productCount).map { denominator[$0] > 0 ? numerator[$0] / denominator[$0] : nil as Double? }
        self.prody = prody
        expy = (0..<matrix.unitCount).map { unit -> Double? in
            guard income[unit] != nil, totals[unit] > 0 else { return nil }
            var sum = 0.0
            for cell in matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1] {
                sum += matrix.values[cell] / totals[unit] * prody[Int(matrix.products[cell])]!
            }
            return sum
        }
    }
}
