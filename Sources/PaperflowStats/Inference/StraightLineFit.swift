#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The least-squares line y = a + b·x through a scatter, and the confidence band of its mean:
/// ŷ(x) ± t(1 − α/2, n − 2) · s · √(1/n + (x − x̄)²/Sxx), with s² the residual variance on n − 2
/// degrees of freedom — R's `predict(lm(y ~ x), interval = "confidence")`, which ggplot2's
/// `geom_smooth(method = "lm")` draws. Sums are taken about the means, so a year-valued x does
/// not cancel digits. Cross-checked against R in `FigureTests.scatterFitAgainstR`.
public struct StraightLineFit: Sendable, Equatable {
    public let intercept: Double
    public let slope: Double
    /// The residual standard deviation s.
    public let residualSD: Double
    public let count: Int
    let meanX: Double
    let sumOfSquaresX: Double

    /// Fits the line to the pairs.
    /// - Throws: `EstimationFailure` with fewer than three points or an x without variation.
    public init(x: [Double], y: [Double]) throws {
        precondition(x.count == y.count)
        let n = x.count
        guard n >= 3 else { throw EstimationFailure(message: "a fit line needs at least 3 points; there are \(n)") }
        let meanX = x.reduce(0, +) / Double(n), meanY = y.reduce(0, +) / Double(n)
        var sxx = 0.0, sxy = 0.0
        for i in 0..<n {
            sxx += (x[i] - meanX) * (x[i] - meanX)
            sxy += (x[i] - meanX) * (y[i] - meanY)
        }
        guard sxx > 0 else { throw EstimationFailure(message: "x does not vary, so no line can be fitted") }
        slope = sxy / sxx
        intercept = meanY - slope * meanX
        var residuals = 0.0
        for i in 0..<n {
            let e = y[i] - intercept - slope * x[i]
            residuals += e * e
        }
        residualSD = (residuals / Double(n - 2)).squareRoot()
        count = n
        self.meanX = meanX
        sumOfSquaresX = sxx
    }

    /// The fitted mean at `x` and its confidence interval at `level` (0.95: 95%).
    public func band(at x: Double, level: Double = 0.95) -> (fit: Double, lower: Double, upper: Double) {
        let fit = intercept + slope * x
        let t = Distribution.tQuantile(0.5 + level / 2, degrees: Double(count - 2))
        let half = t * residualSD * (1 / Double(count) + (x - meanX) * (x - meanX) / sumOfSquaresX).squareRoot()
        return (fit, fit - half, fit + half)
    }
}
