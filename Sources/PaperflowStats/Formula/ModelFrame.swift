import PaperflowData

/// A formula evaluated against a table: the outcome, the regressors and the fixed effects as the
/// estimators take them, over the rows where every variable the formula reads is present (fixest
/// drops the others and says how many; so does `droppedForMissing`).
///
/// Continuous terms (products of numeric variables) are dense columns; a factor term stays a
/// factor (level codes, the first level the base), so binary-choice fits keep its dummies
/// sparse — except the first factor of a formula with no intercept and no fixed effects, which
/// keeps every level as dense dummies; a factor times numbers becomes one dense column per level
/// (the base left out only when the numbers also enter alone). Levels are
/// ordered as R's `factor()` orders them. The intercept is a column named `(Intercept)` when the
/// formula has one and no fixed effect absorbs it.
public struct ModelFrame: Sendable {
    /// A categorical variable: a level code per used row, `levels[0]` the base.
    public struct Factor: Sendable, Equatable {
        public var name: String
        public var codes: [Int]
        public var levels: [String]

        public init(name: String, codes: [Int], levels: [String]) {
            self.name = name
            self.codes = codes
            self.levels = levels
        }
    }

    public let formula: Formula
    public let outcome: [Double]
    public let dense: [(name: String, values: [Double])]
    public let factors: [Factor]
    public let fixedEffects: [Factor]
    /// The table rows used, in order.
    public let rows: [Int]
    public let droppedForMissing: Int
    /// Observation weights over the used rows (positive), when the model is weighted.
    public let weights: [Double]?
    /// Rows left out because their weight is zero (as Stata and fixest leave them out).
    public let droppedForZeroWeight: Int
    /// Rows left out as singletons of a fixed effect (with `dropSingletons`).
    public let droppedSingletons: Int
    /// How the dense columns are built from the variables, for marginal effects (with
    /// `composition`).
    public let composition: DesignComposition?
    /// An IV model's endogenous regressors and excluded instruments, as dense columns (empty
    /// for an exogenous model).
    public let endogenous: [(name: String, values: [Double])]
    public let instruments: [(name: String, values: [Double])]

    /// Evaluates `formula` on `table`; with `standardize`, every numeric variable is centred and
    /// scaled to unit (sample) standard deviation before terms are formed, so slopes are per
    /// standard deviation and an interaction is the product of standardised variables.
    /// - Throws: `ModelFrameError` naming the variable at fault.
    /// With `weights`, the rows where that column is missing are dropped like any other missing
    /// variable, and rows of weight zero are left out and counted; a negative weight is an error
    /// naming its row.
    /// With `panel` (the unit and time columns), the panel operators l(), f() and d() are
    /// evaluated by time value within each unit; with `dropSingletons`, rows alone in a level of
    /// a fixed effect are left out (repeatedly) and counted. With `composition`, the frame also
    /// records how its columns are built, for marginal effects; a variable that also enters
    /// through a function of it (x beside I(x^2), poly(x, 2), log(x)) is refused then, as the
    /// effect through the function is not computed.
    public init(_ formula: Formula, table: Table, standardize: Bool = false, weights weightColumn: String? = nil,
                panel: (unit: String, time: String)? = nil, dropSingletons: Bool = false, composition: Bool = false) throws(ModelFrameError) {
        self.formula = formula
        func column(_ name: String) throws(ModelFrameError) -> Column {
            guard let column = table[name] else {
                throw ModelFrameError(message: "the formula reads '\(name)', which is not a column of the table (columns: \(table.names.joined(separator: ", ")))")
            }
            return column
        }
        func numbers(_ name: String, role: String) throws(ModelFrameError) -> [Double] {
            guard let values = try column(name).numericValues() else {
                throw ModelFrameError(message: "\(role) '\(name)' is text; a regressor must be numeric — enter it as a factor with i(\(name))")
            }
            return values
        }
        /// A function of variables (log(x), I(x^2)): undefined values are missing, as fixest has them.
        func evaluated(_ name: String, _ source: String) throws(ModelFrameError) -> [Double] {
            do { return try Expression(source).numbers(on: table) } catch {
                throw ModelFrameError(message: "\(name): \(error.message)")
            }
        }
        // Read every variable once, then keep the rows where all are present.
        var numeric: [String: [Double]] = [:]
        var coded: [String: (codes: [Int32], levels: [Value])] = [:]
        let y: [Double]
        if let source = formula.outcomeExpression { y = try evaluated(formula.outcome, source) } else { y = try numbers(formula.outcome, role: "the outcome") }
        var panelIndex: PanelIndex?
        for term in formula.terms + formula.endogenous + formula.instruments {
            for variable in term.variables {
                if variable.isFactor {
                    if coded[variable.name] == nil { coded[variable.name] = try column(variable.name).levelCodes() }
                } else if numeric[variable.name] == nil {
                    if let shift = variable.shift {
                        guard let panel else {
                            throw ModelFrameError(message: "\(variable.name) needs the panel: add panel: {unit: …, time: …} to the stage")
                        }
                        if panelIndex == nil { panelIndex = try PanelIndex(table: table, unit: panel.unit, time: panel.time) }
                        numeric[variable.name] = panelIndex!.shifted(try numbers(shift.column, role: "the regressor"), by: shift)
                    } else if let source = variable.expression {
                        numeric[variable.name] = try evaluated(variable.name, source)
                    } else {
                        numeric[variable.name] = try numbers(variable.name, role: "the regressor")
                    }
                }
            }
        }
        for name in formula.fixedEffects.flatMap({ $0 }) where coded[name] == nil {
            coded[name] = try column(name).levelCodes()
        }
        var keep = [Bool](repeating: true, count: table.rowCount)
        for row in keep.indices where y[row].isNaN { keep[row] = false }
        var rawWeights: [Double]?
        if let weightColumn { rawWeights = try numbers(weightColumn, role: "the weight") }
        var zeroWeights = 0
        if let rawWeights {
            for row in keep.indices where rawWeights[row].isNaN { keep[row] = false }
            for row in keep.indices where keep[row] {
                guard rawWeights[row] >= 0, rawWeights[row].isFinite else {
                    throw ModelFrameError(message: "the weight '\(weightColumn!)' is \(rawWeights[row]) in row \(row + 1); weights must be zero or positive")
                }
            }
        }
        for values in numeric.values { for row in keep.indices where values[row].isNaN { keep[row] = false } }
        for factor in coded.values { for row in keep.indices where factor.codes[row] < 0 { keep[row] = false } }
        var rows = keep.indices.filter { keep[$0] }
        droppedForMissing = table.rowCount - rows.count
        if let rawWeights {
            let positive = rows.filter { rawWeights[$0] > 0 }
            zeroWeights = rows.count - positive.count
            rows = positive
        }
        guard !rows.isEmpty else { throw ModelFrameError(message: "no row has every variable of '\(formula)' present\(zeroWeights > 0 ? " and a positive weight" : "")") }
        droppedForZeroWeight = zeroWeights

        /// A factor over the used rows, levels without rows removed, labelled for names.
        func factor(_ names: [String], label: String) throws(ModelFrameError) -> Factor {
            // One variable, or a combination (fixest's a^b): codes in mixed radix, renumbered.
            // The first variable most significant, so combined levels sort as their parts do.
            var combined = [Int](repeating: 0, count: rows.count)
            var radix = 1
            for name in names {
                let codes = coded[name]!.codes, count = max(coded[name]!.levels.count, 1)
                let (product, overflow) = radix.multipliedReportingOverflow(by: count)
                guard !overflow else {
                    throw ModelFrameError(message: "the combination \(label) has more possible levels than 2^63; combine fewer variables")
                }
                radix = product
                combined.withUnsafeMutableBufferPointer { combined in
                    codes.withUnsafeBufferPointer { codes in
                        for (position, row) in rows.enumerated() { combined[position] = combined[position] &* count &+ Int(codes[row]) }
                    }
                }
            }
            // Renumber the keys present: through a table when the keys are few (always for one
            // variable), else a sorted dictionary.
            let present: [Int]
            if radix <= max(4 * rows.count, 1 << 16) {
                var slot = [Int](repeating: -1, count: radix)
                for key in combined { slot[key] = 0 }
                present = slot.indices.filter { slot[$0] == 0 }
                for (code, key) in present.enumerated() { slot[key] = code }
                combined.withUnsafeMutableBufferPointer { combined in
                    for index in combined.indices { combined[index] = slot[combined[index]] }
                }
            } else {
                present = Set(combined).sorted()
                let recode = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
                combined = combined.map { recode[$0]! }
            }
            let levels = present.map { key -> String in
                var key = key
                return names.reversed().map { name -> String in
                    let count = max(coded[name]!.levels.count, 1)
                    defer { key /= count }
                    return coded[name]!.levels[key % count].description
                }.reversed().joined(separator: "_")
            }
            return Factor(name: label, codes: combined, levels: levels)
        }

        // Singletons: rows alone in a fixed-effect level, which the fit explains exactly and which
        // only inflate N (reghdfe and pyfixest drop them by default; fixest keeps them). Dropping
        // one can leave another alone, so until none is left.
        var singletons = 0
        if dropSingletons, !formula.fixedEffects.isEmpty {
            while true {
                var alone = [Bool](repeating: false, count: rows.count)
                for names in formula.fixedEffects {
                    let levels = try factor(names, label: names.joined(separator: "^"))
                    var counts = [Int](repeating: 0, count: levels.levels.count)
                    for code in levels.codes { counts[code] += 1 }
                    for (position, code) in levels.codes.enumerated() where counts[code] == 1 { alone[position] = true }
                }
                let remaining = rows.indices.filter { !alone[$0] }.map { rows[$0] }
                if remaining.count == rows.count { break }
                guard !remaining.isEmpty else { throw ModelFrameError(message: "every row is alone in a level of its fixed effects; no fit is given") }
                singletons += rows.count - remaining.count
                rows = remaining
            }
        }
        droppedSingletons = singletons
        self.rows = rows
        weights = rawWeights.map { values in rows.map { values[$0] } }
        outcome = rows.map { y[$0] }

        var dense: [(name: String, values: [Double])] = []
        var factors: [Factor] = []
        var keptAllLevels = false
        // The composition: each element once, each dense column's elements.
        var elements: [DesignComposition.Multiplicand] = [], elementIndex: [String: Int] = [:], columnElements: [String: [Int]] = [:]
        func element(_ name: String, _ values: @autoclosure () -> [Double], numeric: Bool) -> Int {
            if let index = elementIndex[name] { return index }
            elements.append(.init(name: name, values: values(), isNumeric: numeric))
            elementIndex[name] = elements.count - 1
            return elements.count - 1
        }
        if composition { try Self.refuseFunctionsOfRegressors(formula) }
        // Factor terms entered alone (their discrete changes): the variable, its levels, its
        // index among the sparse factors (nil: dense dummies).
        var factorTerms: [(variable: Formula.Variable, levels: Factor, sparse: Int?)] = []
        if formula.hasIntercept && formula.fixedEffects.isEmpty {
            dense.append(("(Intercept)", Array(repeating: 1, count: rows.count)))
        }
        for term in formula.terms {
            let factorVariables = term.variables.filter(\.isFactor)
            // Standardised, each variable is scaled before an interaction multiplies them
            // (R's scale(a) * scale(b)): the product z_a·z_b keeps ∂/∂z_a = z_b, which the
            // interaction-aware marginal effects assume; a re-standardised product would not.
            var product = [Double](repeating: 1, count: rows.count)
            var parts: [Int] = []
            for variable in term.variables where !variable.isFactor {
                let values = numeric[variable.name]!
                let column = rows.map { values[$0] }
                let used = standardize ? Self.standardized(column) : column
                for (position, value) in used.enumerated() { product[position] *= value }
                if composition { parts.append(element(variable.name, used, numeric: true)) }
            }
            if factorVariables.isEmpty {
                dense.append((term.name, product))
                columnElements[term.name] = parts
                continue
            }
            guard factorVariables.count == 1 else {
                throw ModelFrameError(message: "the term '\(term.name)' multiplies two factors; combine them as one fixed effect (a^b) instead")
            }
            let variable = factorVariables[0]
            var levels = try factor([variable.name], label: variable.description)
            // i(f, ref = k): k is the level left out, moved to the front as the base.
            var reference: Int?
            if let level = variable.reference {
                guard let index = levels.levels.firstIndex(of: level) else {
                    throw ModelFrameError(message: "\(variable.description): \(variable.name) has no level '\(level)' (levels: \(levels.levels.prefix(20).joined(separator: ", "))\(levels.levels.count > 20 ? ", …" : ""))")
                }
                reference = index
            }
            if term.variables.count == 1, let reference, reference > 0 {
                var order = Array(levels.levels.indices)
                order.remove(at: reference)
                order.insert(reference, at: 0)
                var position = [Int](repeating: 0, count: order.count)
                for (new, old) in order.enumerated() { position[old] = new }
                levels = Factor(name: levels.name, codes: levels.codes.map { position[$0] }, levels: order.map { levels.levels[$0] })
            }
            if term.variables.count == 1 {
                // Without an intercept or fixed effects, the first factor needs no base: every
                // level gets its dummy (`y ~ 0 + i(f)`, as fixest and R code it).
                if variable.reference == nil, !formula.hasIntercept, formula.fixedEffects.isEmpty, factors.isEmpty, !keptAllLevels {
                    keptAllLevels = true
                    for level in levels.levels.indices {
                        let name = Self.label(variable, levels.levels[level]), indicator = levels.codes.map { $0 == level ? 1.0 : 0 }
                        dense.append((name, indicator))
                        if composition { columnElements[name] = [element(name, indicator, numeric: false)] }
                    }
                    factorTerms.append((variable, levels, nil))
                    continue
                }
                factorTerms.append((variable, levels, factors.count))
                factors.append(levels)
                continue
            }
            // A factor times numbers: one slope per level (fixest's i(f, x)), less the base only
            // when the numbers also enter on their own (then the slopes would sum to that term).
            let numbers = Set(term.variables.filter { !$0.isFactor }.map(\.name))
            let needsBase = formula.terms.contains { other in
                other.variables.allSatisfy { !$0.isFactor } && Set(other.variables.map(\.name)) == numbers
            }
            let rest = term.variables.filter { !$0.isFactor }.map(\.description).joined(separator: ":")
            let leftOut = reference ?? (needsBase ? 0 : nil)
            for level in levels.levels.indices where level != leftOut {
                let values = levels.codes.indices.map { levels.codes[$0] == level ? product[$0] : 0 }
                let label = Self.label(variable, levels.levels[level]), name = "\(label):\(rest)"
                dense.append((name, values))
                if composition {
                    columnElements[name] = [element(label, levels.codes.map { $0 == level ? 1 : 0 }, numeric: false)] + parts
                }
            }
        }
        self.dense = dense
        if composition {
            // A level's indicator is an element where a column uses it (dense dummies, i(f):x).
            let terms = factorTerms.map { variable, levels, sparse in
                DesignComposition.FactorTerm(name: variable.description, levels: levels.levels, labels: levels.levels.map { Self.label(variable, $0) }, designFactor: sparse,
                                             indicators: levels.levels.map { elementIndex[Self.label(variable, $0)] })
            }
            self.composition = DesignComposition(elements: elements, columns: columnElements, factors: terms)
        } else {
            self.composition = nil
        }
        // The IV part: products of numeric variables (the parser refuses factors there).
        func numericTerm(_ term: Formula.Term) -> (name: String, values: [Double]) {
            var product = [Double](repeating: 1, count: rows.count)
            for variable in term.variables {
                let values = numeric[variable.name]!, column = rows.map { values[$0] }
                for (position, value) in (standardize ? Self.standardized(column) : column).enumerated() { product[position] *= value }
            }
            return (term.name, product)
        }
        endogenous = formula.endogenous.map(numericTerm)
        instruments = formula.instruments.map(numericTerm)
        self.factors = factors
        var absorbed: [Factor] = []
        for names in formula.fixedEffects { absorbed.append(try factor(names, label: names.joined(separator: "^"))) }
        fixedEffects = absorbed
    }

    /// Refuses a column that enters the regressors both as itself and through a function (or
    /// through two functions): its marginal effect would need the function's derivative. Panel
    /// operators are other periods' values, separate variables as Stata's L.x is.
    static func refuseFunctionsOfRegressors(_ formula: Formula) throws(ModelFrameError) {
        var reader: [String: String] = [:]
        for variable in formula.terms.flatMap(\.variables) where !variable.isFactor && variable.shift == nil {
            let columns = variable.expression.flatMap { try? Expression($0).columns } ?? [variable.name]
            for column in Set(columns) {
                if let other = reader[column], other != variable.name {
                    throw ModelFrameError(message: "the marginal effect of \(column) runs through both '\(other)' and '\(variable.name)', and effects through a function "
                                          + "of a variable are not computed; use margins: none, or make the function a column of its own with data.derive")
                }
                reader[column] = variable.name
            }
        }
    }

    /// Each row's position in its unit's time line, for the panel operators.
    struct PanelIndex {
        let units: [Int32]
        let times: [Int64?]
        /// (unit, time) → row.
        let rows: [PanelKey: Int]

        struct PanelKey: Hashable {
            var unit: Int32
            var time: Int64
        }

        init(table: Table, unit: String, time: String) throws(ModelFrameError) {
            guard let unitColumn = table[unit] else { throw ModelFrameError(message: "panel's unit '\(unit)' is not a column of the table (columns: \(table.names.joined(separator: ", ")))") }
            guard let timeColumn = table[time], let times = timeColumn.numericValues() else {
                throw ModelFrameError(message: "panel's time '\(time)' must be a numeric column of the table (columns: \(table.names.joined(separator: ", ")))")
            }
            units = unitColumn.levelCodes().codes
            var whole: [Int64?] = []
            var index: [PanelKey: Int] = [:]
            for row in times.indices {
                guard !times[row].isNaN, units[row] >= 0 else { whole.append(nil); continue }
                guard times[row] == times[row].rounded() else {
                    throw ModelFrameError(message: "panel's time '\(time)' is \(times[row]) in row \(row + 1); periods must be whole numbers (a year, a month count)")
                }
                let key = PanelKey(unit: units[row], time: Int64(times[row]))
                if let other = index[key] {
                    throw ModelFrameError(message: "\(unit) \(unitColumn[row].description) has two rows for \(time) \(Int64(times[row])) (rows \(other + 1) and \(row + 1)); a panel needs one row per unit and period")
                }
                index[key] = row
                whole.append(Int64(times[row]))
            }
            self.times = whole
            rows = index
        }

        /// `values` shifted by `shift` within each unit by time value: missing where that period
        /// has no row (a gap), as fixest's l() with panel.id.
        func shifted(_ values: [Double], by shift: Formula.Variable.Shift) -> [Double] {
            values.indices.map { row in
                guard let time = times[row], let source = rows[PanelKey(unit: units[row], time: time - Int64(shift.lag))] else { return .nan }
                return shift.difference ? values[row] - values[source] : values[source]
            }
        }
    }

    /// The name of a factor level's dummy: `x::level` for `i(x)` (fixest), `factor(x)level` (R).
    public static func label(_ variable: Formula.Variable, _ level: String) -> String {
        variable.wrapper == "factor" ? "factor(\(variable.name))\(level)" : "\(variable.name)::\(level)"
    }

    /// Every regressor as a dense column, factor dummies included (and the intercept, which is
    /// there only without fixed effects): what `LinearFixedEffectsFit` takes.
    public var linearRegressors: [(name: String, values: [Double])] {
        var columns = dense
        for factor in factors {
            let variable = formula.terms.flatMap(\.variables).first { $0.description == factor.name }!
            for level in 1..<max(factor.levels.count, 1) {
                columns.append((Self.label(variable, factor.levels[level]), factor.codes.map { $0 == level ? 1 : 0 }))
            }
        }
        return columns
    }

    /// The absorbed fixed effects, for `LinearFixedEffectsFit`.
    public var absorbed: FixedEffects { FixedEffects(fixedEffects.map(\.codes)) }

    /// The design of a binary-choice fit: the fixed effects enter as factors (dummies kept
    /// sparse) beside an intercept, which their base levels leave identified.
    public var binaryDesign: BinaryDesign {
        var columns = dense
        if formula.hasIntercept || !fixedEffects.isEmpty, !columns.contains(where: { $0.name == "(Intercept)" }) {
            columns.insert(("(Intercept)", Array(repeating: 1, count: rows.count)), at: 0)
        }
        return BinaryDesign(dense: columns, factors: (factors + fixedEffects).map { ($0.name, $0.codes, $0.levels) })
    }

    /// `values` centred and scaled to unit sample standard deviation (only centred if constant).
    public static func standardized(_ values: [Double]) -> [Double] {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))
        let deviation = variance.squareRoot()
        return values.map { deviation > 0 ? ($0 - mean) / deviation : $0 - mean }
    }
}

/// A formula that does not fit its table, naming the variable at fault.
public struct ModelFrameError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
