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
        for row in 0..<observations {
            let z = eta[row]
            switch family {
            case .probit:
                density[row] = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
                slope[row] = -z * density[row]
            case .logit:
                let p = 1 / (1 + exp(-z))
                density[row] = p * (1 - p)
                slope[row] = density[row] * (1 - 2 * p)
            }
        }
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
            let interactions = dense.enumerated().compactMap { index, name -> (index: Int, parts: [Int])? in
                let parts = name.split(separator: ":").map(String.init)
                guard parts.count == 2, let a = dense.firstIndex(of: parts[0]), let b = dense.firstIndex(of: parts[1]) else { return nil }
                return (index, [a, b])
            }
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
        return effects.map { effect in
            var variance = 0.0
            for i in effect.jacobian.indices where effect.jacobian[i] != 0 {
                for j in effect.jacobian.indices where effect.jacobian[j] != 0 {
                    variance += effect.jacobian[i] * covariance[i, j] * effect.jacobian[j]
                }
            }
            return MarginalEffect(name: effect.name, effect: effect.effect, standardError: variance.squareRoot())
        }
    }
}
