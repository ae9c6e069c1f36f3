#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Heteroskedasticity- and autocorrelation-consistent covariance over time periods: Newey & West
/// (1987) for a time series, Driscoll & Kraay (1998) for a panel, whose scores are first summed
/// within each period (so any correlation across units within a period, and across periods up to
/// the bandwidth, is allowed). Bartlett weights 1 − l/(L + 1), as statsmodels' `HAC` and
/// `hac-groupsum` and linearmodels' kernel covariance use them (tested against statsmodels).
public enum KernelCovariance {
    /// Γ₀ + Σ_{l=1}^{L} (1 − l/(L+1)) (Γ_l + Γ_l'), Γ_l = Σ_t s_t s_{t−l}', where s_t sums
    /// `scores[i]·x_i` over the rows of period t and `periods` gives each row's period as its
    /// rank in time (0 the first).
    public static func meat(columns: [[Double]], scores: [Double], periods: [Int], lags: Int) -> Matrix {
        let k = columns.count, count = (periods.max() ?? -1) + 1
        var sums = [Double](repeating: 0, count: count * k)
        for (column, values) in columns.enumerated() {
            for row in values.indices { sums[periods[row] * k + column] += values[row] * scores[row] }
        }
        var meat = Matrix(rows: k, columns: k)
        for lag in 0...max(0, min(lags, count - 1)) {
            let weight = 1 - Double(lag) / Double(lags + 1)
            for t in lag..<count {
                for i in 0..<k {
                    for j in 0..<k {
                        let product = weight * sums[t * k + i] * sums[(t - lag) * k + j]
                        meat[i, j] += product
                        if lag > 0 { meat[j, i] += product }
                    }
                }
            }
        }
        return meat
    }

    /// Newey & West's (1994) plug-in bandwidth for the Bartlett kernel, ⌊4 (T/100)^(2/9)⌋: the
    /// default when no lag is given.
    public static func defaultLags(periods: Int) -> Int {
        Int((4 * pow(Double(periods) / 100, 2.0 / 9)).rounded(.down))
    }
}
