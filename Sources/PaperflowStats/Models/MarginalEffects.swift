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
    /// The factor terms entered alone (`i(f)`), whose levels get discrete changes.
    public var factors: [FactorTerm]

    /// A factor term: its levels' names as coefficients are named (`region::east`), the first
    /// the base; its index among the design's sparse factors, or nil for dense dummies; and each
    /// level's indicator element, where a column (a dense dummy, `i(f):x`) uses it.
    public struct FactorTerm: Sendable {
        public var name: String
        public var levels: [String]
        public var labels: [String]
        public var designFactor: Int?
        public var indicators: [Int?]

        public init(name: String, levels: [String], labels: [String], designFactor: Int?, indicators: [Int?]) {
            self.name = name
            self.levels = levels
            self.labels = labels
            self.designFactor = designFactor
            self.indicators = indicators
        }
    }

    public init(elements: [Multiplicand], columns: [String: [Int]], factors: [FactorTerm] = []) {
        self.elements = elements
        self.columns = columns
        self.factors = factors
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
            for factor in composition.factors { effects += discreteChanges(factor, composition, eta) }
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
            let derivatives = variableColumns(composition).map { variable, columns in
                // ∂(x̄'b)/∂v: the product of the other elements' means for each of v's columns.
                var gradient = Array(repeating: 0.0, count: names.count)
                for (column, others) in columns { gradient[column] = product(others) }
                let g = zip(gradient, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
                let jacobian = means.indices.map { slope * means[$0] * g + density * gradient[$0] }
                return Self.deltaMethod(composition.elements[variable].name, density * g, jacobian, covariance)
            }
            // A factor's levels: F(x̄'b) with the factor at the level minus at the base, the rest
            // at the means (Stata's `margins, dydx(i.f) atmeans`).
            return derivatives + composition.factors.flatMap { factor -> [MarginalEffect] in
                guard let layout = factorLayout(factor, composition) else { return [] }
                func row(_ level: Int) -> [Double] {
                    var x = means
                    if let q = factor.designFactor {
                        for code in 1..<design.factorLevels[q].count { x[design.factorOffsets[q] + code] = 0 }
                        if let code = layout.codes[level], code > 0 { x[design.factorOffsets[q] + code] = 1 }
                    }
                    for tie in layout.tied { x[tie.column] = tie.level == level ? product(tie.others) : 0 }
                    return x
                }
                let base = row(0), low = zip(base, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
                return (1..<factor.labels.count).compactMap { level in
                    if factor.designFactor != nil, layout.codes[level] == nil { return nil }
                    let x = row(level), high = zip(x, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
                    let (fHigh, _) = Self.densityAndSlope(family, high), (fLow, _) = Self.densityAndSlope(family, low)
                    let jacobian = x.indices.map { fHigh * x[$0] - fLow * base[$0] }
                    return Self.deltaMethod(factor.labels[level], Self.probability(family, high) - Self.probability(family, low), jacobian, covariance)
                }
            }
        }
    }

    /// Where a factor term sits in this fit: the fit's code of each of its levels (nil where the
    /// fit removed the level), and the dense columns tied to a level (`i(f):x`, dense dummies)
    /// with their other elements; nil when the fit removed the base.
    func factorLayout(_ factor: DesignComposition.FactorTerm, _ composition: DesignComposition) -> (codes: [Int?], tied: [(column: Int, level: Int, others: [Int])])? {
        let design = designForEffects
        var tied: [(column: Int, level: Int, others: [Int])] = []
        for (column, name) in design.denseNames.enumerated() {
            guard let elements = composition.columns[name] else { continue }
            for (level, indicator) in factor.indicators.enumerated() {
                if let indicator, let position = elements.firstIndex(of: indicator) {
                    var others = elements
                    others.remove(at: position)
                    tied.append((column, level, others))
                }
            }
        }
        // A sparse factor's levels as the fit coded them (separation can remove a level and
        // renumber the rest).
        let codes = factor.levels.map { level in factor.designFactor.flatMap { design.factorLevels[$0].firstIndex(of: level) } }
        if let q = factor.designFactor, codes[0] != 0 || design.factorLevels[q].isEmpty { return nil }
        return (codes, tied)
    }

    /// The average discrete change of each level of `factor` from its base: mean F(x_i^(l)'b) −
    /// F(x_i^(0)'b), x_i^(l) observation i with the factor set to level l — its dummy, and every
    /// column that multiplies one of its indicators (`i(f):x`) — and the rest as observed
    /// (Stata's `margins, dydx(i.f)`; marginaleffects' `avg_comparisons`). The Jacobian is
    /// mean f(η^(l)) x^(l) − f(η^(0)) x^(0).
    func discreteChanges(_ factor: DesignComposition.FactorTerm, _ composition: DesignComposition, _ eta: [Double]) -> [(name: String, effect: Double, jacobian: [Double])] {
        let design = designForEffects, n = Double(observations)
        let offsets = design.factorOffsets
        guard let (codes, tied) = factorLayout(factor, composition) else { return [] }
        let products = tied.map { elementProduct(composition, $0.others) }
        /// x'b at level `level`, and the factor-related entries of x there (parameter, value).
        func counterfactual(_ row: Int, _ level: Int) -> (eta: Double, entries: [(Int, Double)]) {
            var value = eta[row]
            var entries: [(Int, Double)] = []
            if let q = factor.designFactor {
                let code = design.factorCode(row, q)
                if code > 0 { value -= coefficients[offsets[q] + code] }
                if let target = codes[level], target > 0 {
                    value += coefficients[offsets[q] + target]
                    entries.append((offsets[q] + target, 1))
                }
            }
            for (index, tie) in tied.enumerated() {
                value -= coefficients[tie.column] * denseValue(row, tie.column)
                if tie.level == level {
                    value += coefficients[tie.column] * products[index][row]
                    entries.append((tie.column, products[index][row]))
                }
            }
            return (value, entries)
        }
        let related = Set(tied.map(\.column) + (factor.designFactor.map { q in (1..<design.factorLevels[q].count).map { offsets[q] + $0 } } ?? []))
        return (1..<factor.labels.count).compactMap { level in
            // A level the fit dropped (no observations, separated) has no change to report.
            if factor.designFactor != nil, codes[level] == nil { return nil }
            var change = 0.0
            var weights = [Double](repeating: 0, count: observations)
            var jacobian = [Double](repeating: 0, count: names.count)
            for row in 0..<observations {
                let (high, highEntries) = counterfactual(row, level), (low, lowEntries) = counterfactual(row, 0)
                let (fHigh, _) = Self.densityAndSlope(family, high), (fLow, _) = Self.densityAndSlope(family, low)
                change += Self.probability(family, high) - Self.probability(family, low)
                weights[row] = fHigh - fLow
                for (parameter, value) in highEntries { jacobian[parameter] += fHigh * value }
                for (parameter, value) in lowEntries { jacobian[parameter] -= fLow * value }
            }
            // The entries the factor does not touch are the observed x, weighted by f¹ − f⁰.
            for (index, value) in Self.crossProduct(design, weights).enumerated() where !related.contains(index) { jacobian[index] += value }
            return (factor.labels[level], change / n, jacobian.map { $0 / n })
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

    /// The probability F(z): Φ(z) for probit, the logistic function for logit.
    static func probability(_ family: BinaryFamily, _ z: Double) -> Double {
        switch family {
        case .probit: return 0.5 * erfc(-z / 2.0.squareRoot())
        case .logit: return 1 / (1 + exp(-z))
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
