#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the dense columns of a design are built from a formula's variables — what the marginal
/// effects differentiate. Each column is a product of elements: numeric variables, which have an
/// effect, and factor-level indicators, which are held at their values. `x*z` gives the columns
/// x, z and x:z of the elements x and z; `i(f):x` a column f::b:x of the indicator f::b and x;
/// `a:b:c` the product of three. A column not listed (the intercept) holds no variable.
public struct DesignComposition: Sendable {
    public struct Multiplicand: Sendable {
        public var name: String
        /// Its value in each row of the design.
        public var values: [Double]
        /// A numeric variable (it has a marginal effect), not a factor level's indicator.
        public var isNumeric: Bool

        public init(name: String, values: [Double], isNumeric: Bool) {
            self.name = name
            self.values = values
            self.isNumeric = isNumeric
        }
    }

    public var elements: [Multiplicand]
    /// The elements each dense column multiplies, by the column's name.
    public var columns: [String: [Int]]

    public init(elements: [Multiplicand], columns: [String: [Int]]) {
        self.elements = elements
        self.columns = columns
    }
}

/// How marginal effects treat the regressors.
public enum MarginalEffectMethod: Sendable {
    /// The derivative of the probability with respect to each numeric variable, through every
    /// column the variable enters (`x`, `x:z`, `i(f):x`, `x:z:w`): the AME of x in a model with
    /// x·z is mean f(x'b)·(b_x + b_xz·z); with i(f):x it is mean f(x'b)·(b_x + b_f(i)). Stata's
    /// `margins, dydx()` after `c.x#c.z` or `i.f#c.x`. What the stages compute.
    case derivatives(DesignComposition)
    /// mean f(x'b)·b_j for every coefficient but the intercept, an interaction its own variable
    /// (statsmodels' `get_margeff`); only to reproduce a paper that used it.
    case perColumn
}

/// One average marginal effect with its delta-method standard error.
public struct MarginalEffect: Sendable, Equatable {
    public var name: String
    public var effect: Double
    public var standardError: Double
}

extension BinaryChoiceFit {
    /// Average marginal effects and their delta-method standard errors under `covariance`
    /// (one of this fit's covariances). Computed in O(N·K) memory: the Jacobian is K numbers per
    /// effect, averaged over observations. A variable every column of which was dropped as
    /// collinear has no effect.
    public func averageMarginalEffects(_ method: MarginalEffectMethod, covariance: Matrix) -> [MarginalEffect] {
        let n = Double(observations)
        let eta = linearPredictor()
        var density = Array(repeating: 0.0, count: observations), slope = density
        for row in 0..<observations { (density[row], slope[row]) = Self.densityAndSlope(family, eta[row]) }
        let meanDensity = density.reduce(0, +) / n
        var effects: [(name: String, effect: Double, jacobian: [Double])] = []
        switch method {
        case .perColumn:
            let constant = Set(designConstantColumns)
            let slopeMeans = Self.crossProduct(designForEffects, slope).map { $0 / n }
            for (index, name) in names.enumerated() where !constant.contains(index) {
                var jacobian = slopeMeans.map { $0 * coefficients[index] }
                jacobian[index] += meanDensity
                effects.append((name, meanDensity * coefficients[index], jacobian))
            }
        case let .derivatives(composition):
            for (variable, columns) in variableColumns(composition) {
                // g_i = ∂x_i'b/∂v = Σ over v's columns of b_j · (the product of the column's other
                // elements); the Jacobian's entry for b_j gains mean f·∂x_ij/∂v.
                var g = Array(repeating: 0.0, count: observations)
                var jacobian = Array(repeating: 0.0, count: names.count)
                for (column, others) in columns {
                    let derivative = elementProduct(composition, others)
                    var weighted = 0.0
                    for row in 0..<observations {
                        g[row] += coefficients[column] * derivative[row]
                        weighted += density[row] * derivative[row]
                    }
                    jacobian[column] = weighted / n
                }
                let effect = zip(density, g).reduce(0) { $0 + $1.0 * $1.1 } / n
                for (index, value) in Self.crossProduct(designForEffects, zip(slope, g).map(*)).enumerated() { jacobian[index] += value / n }
                effects.append((composition.elements[variable].name, effect, jacobian))
            }
        }
        return effects.map { Self.deltaMethod($0.name, $0.effect, $0.jacobian, covariance) }
    }

    /// Marginal effects at the means of the regressors (Stata's `margins, dydx(*) atmeans`), with
    /// delta-method standard errors. Dummies sit at their shares. With derivatives, every
    /// element sits at its mean and a column at the product of its elements' means: `a:b` at
    /// mean(a)·mean(b), and the effect of a is f(x̄'b)·(b_a + b_ab·mean(b)), as Stata evaluates
    /// `c.a#c.b`; per column, each column sits at its own mean and is its own variable
    /// (statsmodels' `get_margeff(at="mean")`).
    public func marginalEffectsAtMeans(_ method: MarginalEffectMethod, covariance: Matrix) -> [MarginalEffect] {
        let design = designForEffects
        var means = Self.crossProduct(design, Array(repeating: 1, count: observations)).map { $0 / Double(observations) }
        switch method {
        case .perColumn:
            let eta = zip(means, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            let (density, slope) = Self.densityAndSlope(family, eta)
            let constant = Set(designConstantColumns)
            return names.indices.filter { !constant.contains($0) }.map { index in
                var jacobian = means.map { slope * $0 * coefficients[index] }
                jacobian[index] += density
                return Self.deltaMethod(names[index], density * coefficients[index], jacobian, covariance)
            }
        case let .derivatives(composition):
            let elementMeans = composition.elements.map { element in usedRows.reduce(0) { $0 + element.values[$1] } / Double(observations) }
            func product(_ elements: [Int]) -> Double { elements.reduce(1) { $0 * elementMeans[$1] } }
            for (column, name) in design.denseNames.enumerated() {
                if let elements = composition.columns[name] { means[column] = product(elements) }
            }
            let eta = zip(means, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            let (density, slope) = Self.densityAndSlope(family, eta)
            return variableColumns(composition).map { variable, columns in
                // ∂(x̄'b)/∂v: the product of the other elements' means for each of v's columns.
                var gradient = Array(repeating: 0.0, count: names.count)
                for (column, others) in columns { gradient[column] = product(others) }
                let g = zip(gradient, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
                let jacobian = means.indices.map { slope * means[$0] * g + density * gradient[$0] }
                return Self.deltaMethod(composition.elements[variable].name, density * g, jacobian, covariance)
            }
        }
    }

    /// Each numeric element with the fit's dense columns it enters and, for each, the column's
    /// other elements; elements in order, those left in no column omitted.
    func variableColumns(_ composition: DesignComposition) -> [(variable: Int, columns: [(column: Int, others: [Int])])] {
        let dense = designForEffects.denseNames
        return composition.elements.indices.filter { composition.elements[$0].isNumeric }.compactMap { variable in
            let columns = dense.indices.compactMap { column -> (column: Int, others: [Int])? in
                guard let elements = composition.columns[dense[column]], let position = elements.firstIndex(of: variable) else { return nil }
                var others = elements
                others.remove(at: position)
                return (column, others)
            }
            return columns.isEmpty ? nil : (variable, columns)
        }
    }

    /// The product of `elements` in each observation of the fit (1 for none).
    func elementProduct(_ composition: DesignComposition, _ elements: [Int]) -> [Double] {
        usedRows.map { row in elements.reduce(1) { $0 * composition.elements[$1].values[row] } }
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
