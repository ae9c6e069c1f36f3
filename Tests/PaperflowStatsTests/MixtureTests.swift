import Foundation
import PaperflowData
import PaperflowStats
import PaperflowTestSupport
import Testing

/// shen-2025's cluster delimitation (a Gaussian mixture chosen by BIC) and the density figures,
/// against scikit-learn 1.9 and scipy 1.17 on `Tests/Fixtures/mixtures/three_clusters.csv`
/// (750 points from three well-separated 2-D Gaussians; `make_fixture.py`).
@Suite("Gaussian mixtures, densities and quantiles")
struct MixtureTests {
    static let data: (points: [[Double]], labels: [Int]) = {
        let (table, _) = try! CSVReader.read(contentsOf: Fixtures.url("mixtures/three_clusters.csv"), displayPath: "three_clusters.csv")
        let x = table["x"]!.numericValues()!, y = table["y"]!.numericValues()!
        return (zip(x, y).map { [$0, $1] }, table["label"]!.numericValues()!.map { Int($0) })
    }()

    struct Reference: Decodable {
        struct Fit: Decodable {
            var k: Int
            var bic: Double
            var aic: Double
            var loglik: Double
            var weights: [Double]?
            var means: [[Double]]?
        }

        var N: Int
        var fits: [String: [Fit]]
    }

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    @Test("three components are recovered exactly (adjusted Rand 1.0), BIC picks 3, and k = 3 matches scikit-learn to 1e-8")
    func recovery() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("mixtures/gmm_sklearn.json")))
        let (points, labels) = Self.data
        let (fits, best) = try GaussianMixture.select(points, upTo: 5, options: .init(covariance: .full, seed: 7, restarts: 5))
        #expect(best == 3)
        let three = fits[2]
        #expect(three.converged)
        #expect(adjustedRandIndex(three.predict(points), labels) == 1.0)
        let expected = try #require(reference.fits["full"]?[2])
        #expect(Self.relative(three.logLikelihood, expected.loglik) < 1e-8)
        #expect(Self.relative(three.bic, expected.bic) < 1e-8)
        #expect(Self.relative(three.aic, expected.aic) < 1e-8)
        // Components come in seed order: match each to scikit-learn's by its mean.
        for (weight, mean) in zip(try #require(expected.weights), try #require(expected.means)) {
            let c = three.means.indices.min { zip(three.means[$0], mean).map { abs($0 - $1) }.max()! < zip(three.means[$1], mean).map { abs($0 - $1) }.max()! }!
            #expect(Self.relative(three.weights[c], weight) < 1e-8)
            for (got, want) in zip(three.means[c], mean) { #expect(Self.relative(got, want) < 1e-8, "mean \(got) vs \(want)") }
        }
        // One component has a single optimum: its BIC matches exactly too.
        #expect(Self.relative(fits[0].bic, reference.fits["full"]![0].bic) < 1e-10)
    }

    @Test("diagonal covariances: one component's BIC matches, and BIC picks 4 as scikit-learn's does (the clusters are tilted)")
    func diagonal() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("mixtures/gmm_sklearn.json")))
        let diagonal = try #require(reference.fits["diagonal"])
        let (points, _) = Self.data
        let (fits, best) = try GaussianMixture.select(points, upTo: 5, options: .init(covariance: .diagonal, seed: 7, restarts: 10))
        #expect(best == diagonal.min { $0.bic < $1.bic }!.k)
        #expect(fits.allSatisfy { $0.parameterCount == $0.components * 4 + $0.components - 1 })
        #expect(Self.relative(fits[0].bic, diagonal[0].bic) < 1e-10)
        #expect(Self.relative(fits[2].bic, diagonal[2].bic) < 1e-8)
    }

    @Test("the same seed gives the same mixture bit for bit; another seed starts elsewhere")
    func reproducible() throws {
        let (points, _) = Self.data
        let options = GaussianMixture.Options(covariance: .full, seed: 42, restarts: 3)
        let first = try GaussianMixture(fitting: points, components: 4, options: options)
        let second = try GaussianMixture(fitting: points, components: 4, options: options)
        #expect(first.means == second.means)
        #expect(first.covariances == second.covariances)
        #expect(first.weights == second.weights)
        #expect(first.logLikelihood.bitPattern == second.logLikelihood.bitPattern)
        var generator = SeededGenerator(seed: 42), other = SeededGenerator(seed: 43)
        #expect((0..<4).map { _ in generator.next() } != (0..<4).map { _ in other.next() })
    }

    @Test("too few points, ragged points and non-convergence are refused")
    func failures() {
        #expect(throws: GaussianMixture.Failure(message: "a mixture of 3 components needs at least 3 points; there are 2")) {
            try GaussianMixture(fitting: [[0], [1]], components: 3)
        }
        #expect(throws: GaussianMixture.Failure(message: "every point must have the same, positive number of coordinates")) {
            try GaussianMixture(fitting: [[0, 1], [1]], components: 1)
        }
        var options = GaussianMixture.Options(restarts: 2)
        options.maxIterations = 2
        #expect(throws: GaussianMixture.Failure(message: "EM did not converge in 2 iterations on any of 2 restarts; no mixture is given")) {
            try GaussianMixture(fitting: Self.data.points, components: 3, options: options)
        }
    }

    @Test("adjusted Rand index: 1 up to relabelling, scikit-learn's value on a known pair")
    func rand() {
        #expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]) == 1)
        // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
        #expect(abs(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) + 0.5) < 1e-15)
        // adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == 0.24242424242424246
        #expect(abs(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) - 0.24242424242424246) < 1e-15)
    }

    struct DensityReference: Decodable {
        var bandwidth: Double
        var grid: [Double]
        var density: [Double]
        var probabilities: [Double]
        var quantiles: [Double]
    }

    @Test("Silverman's bandwidth (R bw.nrd0), the Gaussian KDE (scipy) and type-7 quantiles (numpy) to 1e-12")
    func density() throws {
        let reference = try JSONDecoder().decode(DensityReference.self, from: Data(contentsOf: Fixtures.url("mixtures/density_reference.json")))
        let x = Self.data.points.map { $0[0] }
        let kde = try KernelDensity(x)
        #expect(Self.relative(kde.bandwidth, reference.bandwidth) < 1e-12)
        for (point, want) in zip(reference.grid, reference.density) {
            let got = kde.density(at: point)
            #expect(want < 1e-300 ? got < 1e-300 : Self.relative(got, want) < 1e-12, "density at \(point): \(got) vs \(want)")
        }
        #expect(kde.curve(from: -4, to: 12, count: 33).map(\.x) == reference.grid)
        let sorted = x.sorted()
        for (p, want) in zip(reference.probabilities, reference.quantiles) {
            #expect(Self.relative(Quantiles.type7(sorted: sorted, p), want) < 1e-12, "quantile \(p)")
        }
        // No spread: R's fallbacks (sd, then |x₁|, then 1); bw.nrd0(c(0, 0, 0)) is 0.9 · 3^(−1/5).
        #expect(try KernelDensity([0, 0, 0]).bandwidth == 0.9 * pow(3, -0.2))
        #expect(throws: KernelDensity.Failure(message: "a density needs at least two finite values; there are 1")) {
            try KernelDensity([1, .nan])
        }
        #expect(throws: KernelDensity.Failure(message: "the bandwidth must be positive; it is 0.0")) { try KernelDensity(x, bandwidth: 0) }
    }
}
