#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How average marginal effects treat a regressor that also enters an interaction.
public enum MarginalEffectMethod: String, Sendable, CaseIterable {
    /// The derivative of the probability with respect to the variable, through every term it
    /// enters: the AME of x in a model with x·z is mean f(x'b)·(b_x + b_xz·z). The default.
    case interactionAware = "interaction-aware"
    /// mean f(x'b)·b_j for every coefficient but the intercept, an interaction its own variable
    /// (statsmodels' `get_margeff`); only to reproduce a paper that used it.
    case perColumn = "per-column"
}

/// One average marginal effect with its delta-method standard error.
public struct MarginalEffect: Sendable, Equatable {
    public var name: String
    public var effect: Double
    public var standardError: Double
}

extension BinaryChoiceFit {
    /// Average marginal effects and their delta-method standard errors under `covariance`
    /// (one of this fit's covariances). Interactions are dense columns named `a:b`. Computed in
    /// O(N·K) memory: the Jacobian is K numbers per effect, averaged over observations.
    public func averageMarginalEffects(_ method: MarginalEffectMethod = .interactionAware, covariance: Matrix) -> [MarginalEffect] {
        let n = Double(observations)
        let eta = linearPredictor()
        var density = Array(repeating: 0.0, count: observations), slope = density
        for row in 0..<observations { (density[row], slope[row]) = Self.densityAndSlope(family, eta[row]) }
        let meanDensity = density.reduce(0, +) / n
        let constant = Set(designConstantColumns)
        var effects: [(name: String, effect: Double, jacobian: [Double])] = []
        switch method {
        case .perColumn:
            let slopeMeans = Self.crossProduct(designForEffects, slope).map { $0 / n }
            for (index, name) in names.enumerated() where !constant.contains(index) {
                var jacobian = slopeMeans.map { $0 * coefficients[index] }
                jacobian[index] += meanDensity
                effects.append((name, meanDensity * coefficients[index], jacobian))
            }
        case .interactionAware:
            let dense = designForEffects.denseNames
            let interactions = self.interactions
            let interactionColumns = Set(interactions.map(\.index))
            for variable in dense.indices where !constant.contains(variable) && !interactionColumns.contains(variable) {
                // g_i = b_v + Σ b_t · (the other part of each interaction t with v).
                var g = Array(repeating: coefficients[variable], count: observations)
                var partners: [(term: Int, other: Int)] = []
                for term in interactions where term.parts.contains(variable) {
                    let other = term.parts[0] == variable ? term.parts[1] : term.parts[0]
                    partners.append((term.index, other))
                    for row in 0..<observations { g[row] += coefficients[term.index] * denseValue(row, other) }
                }
                let effect = zip(density, g).reduce(0) { $0 + $1.0 * $1.1 } / n
                var jacobian = Self.crossProduct(designForEffects, zip(slope, g).map(*)).map { $0 / n }
                jacobian[variable] += meanDensity
                for partner in partners {
                    jacobian[partner.term] += (0..<observations).reduce(0) { $0 + density[$1] * denseValue($1, partner.other) } / n
                }
                effects.append((dense[variable], effect, jacobian))
            }
        }
        return effects.map { Self.deltaMethod($0.name, $0.effect, $0.jacobian, covariance) }
    }

    /// Marginal effects at the means of the regressors (Stata's `margins, dydx(*) atmeans`), with
    /// delta-method standard errors. Dummies sit at their shares. Interaction-aware, an
    /// interaction `a:b` is evaluated at mean(a)·mean(b) and the effect of a is f(x̄'b)·(b_a +
    /// b_ab·mean(b)), as Stata does for `c.a#c.b`; per column, each column sits at its own mean
    /// and is its own variable (statsmodels' `get_margeff(at="mean")`).
    public func marginalEffectsAtMeans(_ method: MarginalEffectMethod = .interactionAware, covariance: Matrix) -> [MarginalEffect] {
        let design = designForEffects
        var means = Self.crossProduct(design, Array(repeating: 1, count: observations)).map { $0 / Double(observations) }
        let interactions = self.interactions
        if method == .interactionAware {
            for term in interactions { means[term.index] = means[term.parts[0]] * means[term.parts[1]] }
        }
        let eta = zip(means, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
        let (density, slope) = Self.densityAndSlope(family, eta)
        let constant = Set(designConstantColumns)
        switch method {
        case .perColumn:
            return names.indices.filter { !constant.contains($0) }.map { index in
                var jacobian = means.map { slope * $0 * coefficients[index] }
                jacobian[index] += density
                return Self.deltaMethod(names[index], density * coefficients[index], jacobian, covariance)
            }
        case .interactionAware:
            let interactionColumns = Set(interactions.map(\.index))
            return design.denseNames.indices.filter { !constant.contains($0) && !interactionColumns.contains($0) }.map { variable in
                // ∂g/∂b: 1 for the variable's own coefficient, mean(other) for each interaction.
                var gradient = Array(repeating: 0.0, count: names.count)
                gradient[variable] = 1
                for term in interactions where term.parts.contains(variable) {
                    gradient[term.index] = means[term.parts[0] == variable ? term.parts[1] : term.parts[0]]
                }
                let g = zip(gradient, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
                let jacobian = means.indices.map { slope * means[$0] * g + density * gradient[$0] }
                return Self.deltaMethod(design.denseNames[variable], density * g, jacobian, covariance)
            }
        }
    }

    /// Dense columns named `a:b` whose parts are dense columns too.
    var interactions: [(index: Int, parts: [Int])] {
        let dense = designForEffects.denseNames
        return dense.enumerated().compactMap { index, name -> (index: Int, parts: [Int])? in
            let parts = name.split(separator: ":").map(String.init)
            guard parts.count == 2, let a = dense.firstIndex(of: parts[0]), let b = dense.firstIndex(of: parts[1]) else { return nil }
            return (index, [a, b])
        }
    }

    /// The link's density f(z) and its derivative f'(z).
    static func densityAndSlope(_ family: BinaryFamily, _ z: Double) -> (density: Double, slope: Double) {
        switch family {
        case .probit:
            let density = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
            return (density, -z * density)
        case .logit:
            let p = 1 / (1 + exp(-z))
            return (p * (1 - p), p * (1 - p) * (1 - 2 * p))
        }
    }

    /// An effect with its delta-method standard error √(J V J').
    static func deltaMethod(_ name: String, _ effect: Double, _ jacobian: [Double], _ covariance: Matrix) -> MarginalEffect {
        var variance = 0.0
        for i in jacobian.indices where jacobian[i] != 0 {
            for j in jacobian.indices where jacobian[j] != 0 { variance += jacobian[i] * covariance[i, j] * jacobian[j] }
        }
        return MarginalEffect(name: name, effect: effect, standardError: variance.squareRoot())
    }
}
