#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tail probabilities of the distributions test statistics follow, for p-values: standard
/// normal, Student's t, chi-square and F. The t and F tails are regularised incomplete beta
/// functions, the chi-square tail a regularised incomplete gamma function, each evaluated by its
/// power series or continued fraction (modified Lentz) where that converges fast — the method
/// of Press et al., Numerical Recipes §6.2–6.4. Cross-checked against scipy.stats to 1e-10
/// relative (`Tests/Fixtures/inference/ref_distributions.py`).
public enum Distribution {
    /// P(Z > z) for a standard normal Z.
    public static func normalUpperTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// P(|Z| > |z|).
    public static func normalTwoSided(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// P(|T| > |t|) for Student's t with `degrees` degrees of freedom.
    public static func tTwoSided(_ t: Double, degrees: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        let total = degrees + t * t
        return regularizedBeta(degrees / total, complement: t * t / total, degrees / 2, 0.5)
    }

    /// The Student t quantile: the q with P(T ≤ q) = `probability`, found by bisecting the
    /// two-sided tail (monotone in |t|) to the last representable bit — R's `qt`, scipy's
    /// `t.ppf`. For confidence bands, `tQuantile(0.975, degrees: n − 2)`.
    public static func tQuantile(_ probability: Double, degrees: Double) -> Double {
        guard probability > 0, probability < 1, degrees > 0 else {
            return probability == 1 ? .infinity : probability == 0 ? -.infinity : .nan
        }
        if probability == 0.5 { return 0 }
        let tail = 2 * min(probability, 1 - probability)
        var low = 0.0, high = 1.0
        while tTwoSided(high, degrees: degrees) > tail, high < 1e300 { low = high; high *= 2 }
        for _ in 0..<2000 {
            let middle = (low + high) / 2
            guard middle > low, middle < high else { break }
            if tTwoSided(middle, degrees: degrees) > tail { low = middle } else { high = middle }
        }
        let q = (low + high) / 2
        return probability > 0.5 ? q : -q
    }

    /// P(X > x) for a chi-square X with `degrees` degrees of freedom.
    public static func chiSquareUpperTail(_ x: Double, degrees: Double) -> Double {
        guard x > 0 else { return 1 }
        return upperRegularizedGamma(degrees / 2, x / 2)
    }

    /// P(F > f) for an F distribution with `numerator` and `denominator` degrees of freedom.
    public static func fUpperTail(_ f: Double, numerator: Double, denominator: Double) -> Double {
        guard f > 0 else { return 1 }
        let total = denominator + numerator * f
        return regularizedBeta(denominator / total, complement: numerator * f / total, denominator / 2, numerator / 2)
    }

    /// I_x(a, b), the regularised incomplete beta function.
    public static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        regularizedBeta(x, complement: 1 - x, a, b)
    }

    /// I_x(a, b) given x and 1 − x, each computed without cancellation by the caller: with a
    /// million degrees of freedom x is within 1e-6 of 1, and 1 − x formed from a rounded x
    /// would lose ten digits.
    static func regularizedBeta(_ x: Double, complement y: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        let logFront = a * (x < 0.5 ? log(x) : log1p(-y)) + b * (y < 0.5 ? log(y) : log1p(-x)) - logBeta(a, b)
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
        // I_x(a, b) = 1 − I_{1−x}(b, a) beyond it.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * betaFraction(y, b, a) / b
    }

    /// log B(a, b). For a large argument, log Γ(big) − log Γ(big + small) is formed from
    /// Stirling's series so that the two large logarithms never cancel.
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let (small, big) = a < b ? (a, b) : (b, a)
        guard big > 20 else { return lgamma(a) + lgamma(b) - lgamma(a + b) }
        /// log Γ(x) − [(x − ½) log x − x + ½ log 2π], which is 1/(12x) − 1/(360x³) + 1/(1260x⁵) − …
        func correction(_ x: Double) -> Double {
            let inverse = 1 / x, square = inverse * inverse
            return inverse * (1.0 / 12 - square * (1.0 / 360 - square * (1.0 / 1260 - square / 1680)))
        }
        let ratio = (big - 0.5) * log1p(small / big) + small * log(big + small) - small
            + correction(big + small) - correction(big)
        return lgamma(small) - ratio
    }

    /// Q(a, x) = Γ(a, x)/Γ(a), the upper regularised incomplete gamma function.
    public static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let logFront = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            // P(a, x) by its series; Q = 1 − P.
            var term = 1 / a, sum = term, denominator = a
            for _ in 0..<10_000 {
                denominator += 1
                term *= x / denominator
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logFront)
        }
        // Q(a, x) by its continued fraction.
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logFront) * h
    }

    /// The continued fraction of the incomplete beta function (modified Lentz).
    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1..<10_000 {
            let m = Double(m)
            // Even step.
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}

/// Significance stars as economics tables print them: `***` below 0.01, `**` below 0.05, `*`
/// below 0.1 (fixest's `etable` and Stata's `esttab` with `star(* 0.10 ** 0.05 *** 0.01)`).
public enum SignificanceStars {
    public static let thresholds: [(level: Double, stars: String)] = [(0.01, "***"), (0.05, "**"), (0.1, "*")]

    public static func stars(_ pValue: Double) -> String {
        thresholds.first { pValue < $0.level }?.stars ?? ""
    }
}

/// A coefficient's test against zero.
public struct CoefficientTest: Sendable, Equatable {
    public var estimate: Double
    public var standardError: Double
    public var statistic: Double { estimate / standardError }
    public var pValue: Double
    public var stars: String { SignificanceStars.stars(pValue) }

    /// With `degrees` of freedom a t test (fixest's for linear models: residual degrees of
    /// freedom, or G − 1 when clustered); without, a z test (binary-choice models).
    public init(estimate: Double, standardError: Double, degrees: Double? = nil) {
        self.estimate = estimate
        self.standardError = standardError
        let statistic = estimate / standardError
        pValue = degrees.map { Distribution.tTwoSided(statistic, degrees: $0) } ?? Distribution.normalTwoSided(statistic)
    }
}
