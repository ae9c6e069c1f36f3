#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PaperflowData

/// A Gaussian kernel density estimate for the papers' distribution figures, with R's default
/// bandwidth `bw.nrd0` — Silverman's rule of thumb (Silverman 1986, eq. 3.31):
/// h = 0.9 · min(sd, IQR/1.34) · n^(−1/5), sd the sample standard deviation, quartiles of type 7.
/// Cross-checked against scipy's `gaussian_kde` given the same bandwidth.
public struct KernelDensity: Sendable {
    public let values: [Double]
    public let bandwidth: Double

    /// - Throws: `Failure` for fewer than two finite values, or a bandwidth that is not positive.
    public init(_ values: [Double], bandwidth: Double? = nil) throws {
        let finite = values.filter(\.isFinite)
        guard finite.count >= 2 else { throw Failure(message: "a density needs at least two finite values; there are \(finite.count)") }
        let bandwidth = bandwidth ?? Self.silvermanBandwidth(finite)
        guard bandwidth > 0 else { throw Failure(message: "the bandwidth must be positive; it is \(bandwidth)") }
        self.values = finite
        self.bandwidth = bandwidth
    }


    public typealias Failure = EstimationFailure

    /// R's `bw.nrd0`: 0.9 · min(sd, IQR/1.34) · n^(−1/5), falling back to sd, then |x₁|, then 1
    /// when the spread is zero, as R does.
    public static func silvermanBandwidth(_ values: [Double]) -> Double {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        let sorted = values.sorted()
        let iqr = Quantiles.type7(sorted: sorted, 0.75) - Quantiles.type7(sorted: sorted, 0.25)
        var spread = min(sd, iqr / 1.34)
        if spread == 0 { spread = sd }
        if spread == 0 { spread = abs(values[0]) }
        if spread == 0 { spread = 1 }
        return 0.9 * spread * pow(n, -0.2)
    }

    /// The density at `point`: the mean of Gaussian kernels of standard deviation `bandwidth`.
    public func density(at point: Double) -> Double {
        let scale = 1 / (bandwidth * (2 * Double.pi).squareRoot() * Double(values.count))
        return values.reduce(0) { sum, value in
            let z = (point - value) / bandwidth
            return sum + exp(-0.5 * z * z)
        } * scale
    }

    /// The density on `count` evenly spaced points from `low` to `high`, for a figure.
    public func curve(from low: Double, to high: Double, count: Int = 512) -> [(x: Double, density: Double)] {
        (0..<count).map { index in
            let x = count == 1 ? low : low + (high - low) * Double(index) / Double(count - 1)
            return (x, density(at: x))
        }
    }
}
