import Foundation

/// The Economic and Product Complexity Indices (Hidalgo & Hausmann 2009, eigenvector form of
/// Hausmann et al. 2014): the eigenvector of M̃_pp = U⁻¹MᵀD⁻¹M for its second-largest
/// eigenvalue gives PCI, and ECI is D⁻¹M times it, signed so that ECI correlates positively with
/// diversity. Units and products with no presence are left out (nil), as ecomplexity returns NaN.
public struct ComplexityIndex: Sendable {
    /// Each unit's ECI (nil for a unit with diversity 0).
    public let eci: [Double?]
    /// Each product's PCI (nil for a product with ubiquity 0).
    public let pci: [Double?]
    /// The second-largest eigenvalue of M̃.
    public let eigenvalue: Double
    /// Block iterations the eigenvector took.
    public let iterations: Int

    /// How the raw eigenvectors are scaled.
    public enum Standardization: Sendable, Equatable {
        /// ecomplexity: ECI z-scored with the population sd (÷N); PCI shifted and scaled by ECI's
        /// mean and sd, the eigenvector of M̃_pp taken with unit norm.
        case ecomplexity
        /// R's economiccomplexity: ECI and PCI each z-scored with the sample sd (÷(N − 1)).
        case sample
    }

    /// - Throws: `EstimationFailure` when fewer than two units or products are present, or the
    ///   eigenvector does not converge.
    public init(_ presence: Presence, standardization: Standardization = .ecomplexity) throws {
        let diversity = presence.diversity, ubiquity = presence.ubiquity
        let units = (0..<presence.unitCount).filter { diversity[$0] > 0 }
        let products = (0..<presence.productCount).filter { ubiquity[$0] > 0 }
        guard units.count >= 2, products.count >= 2 else {
            throw EstimationFailure(message: "complexity needs at least two units and two products present; there are \(units.count) and \(products.count)")
        }
        var position = [Int](repeating: -1, count: presence.productCount)
        for (index, product) in products.enumerated() { position[product] = index }
        let rows = units.map { presence.row($0).map { position[Int($0)] } }
        let d = units.map { Double(diversity[$0]) }, u = products.map { Double(ubiquity[$0]) }
        let n = products.count
        // S = U^-½ Mᵀ D⁻¹ M U^-½ is symmetric and similar to M̃_pp; its top eigenvector is √u.
        func applyS(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: n)
            for (row, unitDiversity) in zip(rows, d) {
                var sum = 0.0
                for p in row { sum += x[p] / u[p].squareRoot() }
                sum /= unitDiversity
                for p in row { y[p] += sum / u[p].squareRoot() }
            }
            return y
        }
        let top = Self.normalized(u.map { $0.squareRoot() })
        let (value, vector, iterations) = try Self.secondEigenpair(applyS, dimension: n, top: top)
        // Back to M̃_pp's eigenvector (unit norm, as numpy.linalg.eig returns it), then ECI.
        let kp = Self.normalized(zip(vector, u).map { $0 / $1.squareRoot() })
        let kc = zip(rows, d).map { row, diversity in row.reduce(0) { $0 + kp[$1] } / diversity }
        let sign: Double = Correlation.pearson(d, kc) < 0 ? -1 : 1
        let rawECI = kc.map { $0 * sign }, rawPCI = kp.map { $0 * sign }
        var eciValues: [Double], pciValues: [Double]
        switch standardization {
        case .ecomplexity:
            let (mean, sd) = Self.moments(rawECI, sample: false)
            eciValues = rawECI.map { ($0 - mean) / sd }
            pciValues = rawPCI.map { ($0 - mean) / sd }
        case .sample:
            let (eciMean, eciSD) = Self.moments(rawECI, sample: true), (pciMean, pciSD) = Self.moments(rawPCI, sample: true)
            eciValues = rawECI.map { ($0 - eciMean) / eciSD }
            // PCI is oriented against ubiquity as ECI is with diversity.
            pciValues = rawPCI.map { ($0 - pciMean) / pciSD }
        }
        var eci = [Double?](repeating: nil, count: presence.unitCount), pci = [Double?](repeating: nil, count: presence.productCount)
        for (index, unit) in units.enumerated() { eci[unit] = eciValues[index] }
        for (index, product) in products.enumerated() { pci[product] = pciValues[index] }
        self.eci = eci
        self.pci = pci
        eigenvalue = value
        self.iterations = iterations
    }

    /// The method of reflections (Hidalgo & Hausmann 2009) as economiccomplexity 2.0 computes it:
    /// k_u,0 = diversity, k_p,0 = ubiquity, k_u,N = Σ_p M_up k_p,N−1 / k_u,0 and
    /// k_p,N = Σ_u M_up k_u,N−1 / k_p,0; ECI is k_u at the odd order `iterations` − 2 and PCI k_p
    /// at the even order `iterations` − 1, each z-scored (÷(N − 1) under `.sample`, as
    /// economiccomplexity; ÷N under `.ecomplexity`). No sign is imposed. With 20 iterations it
    /// has not converged on small matrices (the shared fixtures' README): prefer the eigenvector.
    /// - Throws: `EstimationFailure` when fewer than two units or products are present.
    public init(reflections presence: Presence, iterations: Int = 20, standardization: Standardization = .sample) throws {
        let diversity = presence.diversity, ubiquity = presence.ubiquity
        let units = (0..<presence.unitCount).filter { diversity[$0] > 0 }
        let products = (0..<presence.productCount).filter { ubiquity[$0] > 0 }
        guard units.count >= 2, products.count >= 2, iterations >= 2 else {
            throw EstimationFailure(message: "reflections need at least two units and two products present and iterations ≥ 2; there are \(units.count), \(products.count) and \(iterations)")
        }
        var kc = units.map { Double(diversity[$0]) }, kp = [Double](repeating: 0, count: presence.productCount)
        for product in products { kp[product] = Double(ubiquity[product]) }
        let kc0 = kc, kp0 = kp
        var eciOrder = kc
        for order in 1..<iterations {
            var nextKc = [Double](repeating: 0, count: units.count), nextKp = [Double](repeating: 0, count: presence.productCount)
            for (index, unit) in units.enumerated() {
                var sum = 0.0
                for p in presence.row(unit) {
                    sum += kp[Int(p)]
                    nextKp[Int(p)] += kc[index]
                }
                nextKc[index] = sum / kc0[index]
            }
            for product in products { nextKp[product] /= kp0[product] }
            kc = nextKc
            kp = nextKp
            if order == iterations - 2 { eciOrder = kc }
        }
        let sample = standardization == .sample
        let (eciMean, eciSD) = Self.moments(eciOrder, sample: sample)
        let pciRaw = products.map { kp[$0] }, (pciMean, pciSD) = Self.moments(pciRaw, sample: sample)
        var eci = [Double?](repeating: nil, count: presence.unitCount), pci = [Double?](repeating: nil, count: presence.productCount)
        for (index, unit) in units.enumerated() { eci[unit] = (eciOrder[index] - eciMean) / eciSD }
        for (index, product) in products.enumerated() { pci[product] = (pciRaw[index] - pciMean) / pciSD }
        self.eci = eci
        self.pci = pci
        eigenvalue = .nan
        self.iterations = iterations
    }

    /// The eigenpair of the symmetric operator `apply` with the largest eigenvalue orthogonal to
    /// `top` (its known leading eigenvector), by block (subspace) iteration with Rayleigh–Ritz:
    /// eight vectors, so convergence goes as (λ₁₀/λ₂)ᵏ rather than (λ₃/λ₂)ᵏ.
    static func secondEigenpair(_ apply: ([Double]) -> [Double], dimension n: Int, top: [Double]) throws -> (Double, [Double], Int) {
        let block = min(8, n - 1)
        var generator = SeededGenerator(seed: 20_090_626)
        var basis = (0..<block).map { _ in (0..<n).map { _ in Double.random(in: -1...1, using: &generator) } }
        var previous = Double.nan
        for iteration in 1...20_000 {
            // Orthonormalise against the top vector and each other (twice, for stability).
            for _ in 0..<2 {
                for index in basis.indices {
                    var v = basis[index]
                    for q in [top] + basis[..<index] {
                        let dot = zip(v, q).reduce(0) { $0 + $1.0 * $1.1 }
                        for k in 0..<n { v[k] -= dot * q[k] }
                    }
                    basis[index] = normalized(v)
                }
            }
            let images = basis.map(apply)
            // Rayleigh–Ritz on the block.
            var small = [[Double]](repeating: [Double](repeating: 0, count: block), count: block)
            for a in 0..<block { for b in 0..<block { small[a][b] = zip(basis[a], images[b]).reduce(0) { $0 + $1.0 * $1.1 } } }
            let (values, vectors) = jacobiEigen(small)
            let order = values.indices.sorted { values[$0] > values[$1] }
            let leading = values[order[0]]
            var ritz = [Double](repeating: 0, count: n), image = [Double](repeating: 0, count: n)
            for a in 0..<block {
                let weight = vectors[a][order[0]]
                for k in 0..<n { ritz[k] += weight * basis[a][k]; image[k] += weight * images[a][k] }
            }
            let residual = zip(image, ritz).reduce(0) { $0 + ($1.0 - leading * $1.1) * ($1.0 - leading * $1.1) }.squareRoot()
            if residual < 1e-13 * max(1, abs(leading)) || (iteration > 50 && abs(leading - previous) < 1e-16 && residual < 1e-11) {
                return (leading, normalized(ritz), iteration)
            }
            previous = leading
            // Next block: the images rotated into Ritz order (sorted by eigenvalue).
            basis = order.map { column in
                var v = [Double](repeating: 0, count: n)
                for a in 0..<block { let w = vectors[a][column]; for k in 0..<n { v[k] += w * images[a][k] } }
                return v
            }
        }
        throw EstimationFailure(message: "the complexity eigenvector did not converge")
    }

    /// Eigenvalues and eigenvectors (columns) of a small symmetric matrix by cyclic Jacobi rotations.
    static func jacobiEigen(_ matrix: [[Double]]) -> ([Double], [[Double]]) {
        var a = matrix
        let n = a.count
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }

    static func normalized(_ v: [Double]) -> [Double] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    static func moments(_ values: [Double], sample: Bool) -> (mean: Double, sd: Double) {
        let n = Double(values.count), mean = values.reduce(0, +) / n
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / (sample ? n - 1 : n)).squareRoot())
    }
}
