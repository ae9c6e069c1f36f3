import Foundation
import PaperflowData

/// A model formula in R fixest's syntax:
///
///     y ~ x1 + x2 + x1:x2 | fe1 + fe2
///
/// - `a:b` is the product of a and b; `a*b` is `a + b + a:b` (and `a*b*c` every sub-product);
/// - `i(x)` or `factor(x)` enters x as a factor: one dummy per level but the first;
/// - functions of variables, evaluated by the expression engine (`data.derive`'s grammar):
///   `log(x)`, `log1p(x)`, `exp(x)`, `sqrt(x)`, `abs(x)`, `I(expression)` (e.g. `I(x^2)`,
///   `I(a / b)`), `x^2` (any whole power), and `poly(x, k)`, x … x^k as k raw terms; the outcome may
///   be a function too (`log(trade) ~ …`). A row where a function is undefined (log of 0) is
///   dropped as a missing value is, as fixest drops it;
/// - panel operators, with the model's panel (unit and time) given: `l(x, k)` the value k
///   periods before (`l(x)` one, `l(x, 1:3)` three terms), `f(x, k)` k periods after, `d(x)` the
///   change from the period before — by time value, so a gap in a unit's years gives a missing
///   lag rather than the previous row's value (fixest's `panel.id`);
/// - `- 1` or `+ 0` removes the intercept, `- x` removes a term, parentheses group;
/// - after `|`, fixed effects to absorb, `a^b` being the combination of a and b (fixest's syntax);
/// - last, after `|`, an instrumental-variables part `endogenous ~ instruments` (fixest's
///   `y ~ w | fe | x ~ z1 + z2`, or `y ~ w | x ~ z` without fixed effects): numeric terms on both
///   sides, at least as many instruments as endogenous regressors.
///
/// Terms are ordered as R's `terms()` orders them, by degree then by first appearance; `b:a` is
/// the same term as `a:b` and keeps the spelling it first had.
public struct Formula: Sendable, Equatable, CustomStringConvertible {
    /// A variable as a term uses it.
    public struct Variable: Sendable, Hashable {
        /// The column, or for a function the term's name as written (`log(x)`, `poly(x, 2)2`).
        public var name: String
        /// Entered as a factor, through `i()` or `factor()`.
        public var isFactor: Bool
        /// How the formula spelt it: `i` or `factor` for factors.
        public var wrapper: String?
        /// For a function of variables, the expression evaluated (`log(x)`, `x^2`).
        public var expression: String?
        /// For a panel operator, the column and the shift: `lag` periods back (negative: ahead),
        /// the difference x − that when `difference`.
        public var shift: Shift?
        /// For a factor, the level left out as the reference (`i(f, ref = -1)`); nil: the first,
        /// where one must be left out.
        public var reference: String?

        public struct Shift: Sendable, Hashable {
            public var column: String
            public var lag: Int
            public var difference: Bool
        }

        public init(_ name: String, factor wrapper: String? = nil) {
            self.name = name
            isFactor = wrapper != nil
            self.wrapper = wrapper
        }

        /// A panel operator on `column` named `name`.
        public init(_ name: String, shift: Shift) {
            self.name = name
            isFactor = false
            self.shift = shift
        }

        /// A function of variables named `name`, evaluated as `expression`.
        public init(_ name: String, expression: String) {
            self.name = name
            isFactor = false
            self.expression = expression
        }

        public var description: String {
            wrapper.map { "\($0)(\(name)\(reference.map { ", ref = \($0)" } ?? ""))" } ?? name
        }
    }

    /// A product of variables (a main effect when there is one).
    public struct Term: Sendable, Equatable {
        public var variables: [Variable]
        public var name: String { variables.map(\.description).joined(separator: ":") }
        var key: Set<Variable> { Set(variables) }
    }

    public var outcome: String
    /// The outcome as a function of variables (`log(trade)`), evaluated as this expression.
    public var outcomeExpression: String?
    public var terms: [Term]
    public var hasIntercept: Bool
    /// Fixed effects to absorb; each is one variable or a combination (`a^b`).
    public var fixedEffects: [[String]]
    /// The endogenous regressors of an IV model and their excluded instruments (both empty for
    /// an exogenous model).
    public var endogenous: [Term] = []
    public var instruments: [Term] = []

    /// Whether the formula has an instrumental-variables part.
    public var isInstrumented: Bool { !endogenous.isEmpty }

    /// Every column the formula reads, outcome first, each once (the columns of its functions).
    public var variables: [String] {
        var seen = Set<String>()
        func columns(_ name: String, _ expression: String?) -> [String] {
            expression.flatMap { try? Expression($0).columns } ?? [name]
        }
        let read = columns(outcome, outcomeExpression)
            + (terms + endogenous + instruments).flatMap { $0.variables.flatMap { $0.shift.map { [$0.column] } ?? columns($0.name, $0.expression) } }
            + fixedEffects.flatMap { $0 }
        return read.filter { seen.insert($0).inserted }
    }

    /// The functions a formula term may call, each once: the expression engine's numeric ones,
    /// with `I()` and `poly()`, and the factor markers.
    public static let functions = ["i", "factor", "I", "poly", "log", "log1p", "exp", "sqrt", "abs", "l", "f", "d"]

    /// The first panel operator (l(), f(), d()) a term uses, if any: they need the panel.
    public var panelOperator: Variable? {
        (terms + endogenous + instruments).lazy.flatMap(\.variables).first { $0.shift != nil }
    }

    public var description: String {
        var right = terms.map(\.name)
        if !hasIntercept { right.append("0") }
        var text = "\(outcome) ~ \(right.isEmpty ? "1" : right.joined(separator: " + "))"
        if !fixedEffects.isEmpty { text += " | " + fixedEffects.map { $0.joined(separator: "^") }.joined(separator: " + ") }
        if isInstrumented { text += " | " + endogenous.map(\.name).joined(separator: " + ") + " ~ " + instruments.map(\.name).joined(separator: " + ") }
        return text
    }

    /// Parses `text`.
    /// - Throws: `FormulaError` with the 1-based column of the offending character.
    public init(_ text: String) throws(FormulaError) {
        var parser = FormulaParser(text)
        self = try parser.formula()
    }

    init(outcome: String, outcomeExpression: String? = nil, terms: [Term], hasIntercept: Bool, fixedEffects: [[String]]) {
        self.outcome = outcome
        self.outcomeExpression = outcomeExpression
        self.terms = terms
        self.hasIntercept = hasIntercept
        self.fixedEffects = fixedEffects
    }
}

/// A formula that cannot be read: what is wrong and where (1-based column).
public struct FormulaError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var column: Int

    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }

    public var description: String { "column \(column): \(message)" }
}

/// Recursive descent over the formula's characters.
struct FormulaParser: CharacterScanning {
    let characters: [Character]
    var position = 0

    init(_ text: String) { characters = Array(text) }

    /// A set of terms with the intercept's state, as a sub-expression yields it.
    private struct Terms {
        var terms: [Formula.Term] = []
        /// nil: the sub-expression says nothing about the intercept.
        var intercept: Bool?

        mutating func add(_ term: Formula.Term) {
            if !terms.contains(where: { $0.key == term.key }) { terms.append(term) }
        }

        mutating func add(_ other: Terms) {
            for term in other.terms { add(term) }
            if let intercept = other.intercept { self.intercept = intercept }
        }

        mutating func remove(_ other: Terms) {
            terms.removeAll { term in other.terms.contains { $0.key == term.key } }
            if other.intercept == true { intercept = false }
        }
    }

    mutating func formula() throws(FormulaError) -> Formula {
        skipSpaces()
        let outcomeStart = position
        guard let outcomeName = try name() else { throw error("expected the outcome variable before '~'") }
        var outcome = outcomeName, outcomeExpression: String?
        if take("(") {
            // A function of the outcome (log(trade)): one numeric variable, not a factor.
            let term = try function(outcomeName, start: outcomeStart)
            if term.terms.first?.variables.first?.shift != nil {
                position = outcomeStart
                throw error("the outcome cannot be a panel operator here; make it a column first (data.derive), then model it")
            }
            guard term.terms.count == 1, let variable = term.terms.first?.variables.first, variable.expression != nil else {
                position = outcomeStart
                throw error("the outcome must be a variable or one function of variables, e.g. log(trade)")
            }
            outcome = variable.name
            outcomeExpression = variable.expression
        }
        try expect("~")
        let right = try sum()
        var fixedEffects: [[String]] = []
        var instrumented: (endogenous: [Formula.Term], instruments: [Formula.Term])?
        if take("|") {
            if instrumentedPartFollows() {
                instrumented = try instrumentedPart(exogenous: right.terms)
            } else {
                try fixedEffectsPart(&fixedEffects)
                if take("|") { instrumented = try instrumentedPart(exogenous: right.terms) }
            }
        }
        skipSpaces()
        if position < characters.count { throw error("unexpected '\(characters[position])'") }
        let ordered = right.terms.enumerated().sorted { ($0.element.variables.count, $0.offset) < ($1.element.variables.count, $1.offset) }
        var formula = Formula(outcome: outcome, outcomeExpression: outcomeExpression, terms: ordered.map(\.element), hasIntercept: right.intercept ?? true,
                              fixedEffects: fixedEffects)
        if let instrumented { (formula.endogenous, formula.instruments) = instrumented }
        return formula
    }

    /// Whether the part after a `|` is `endogenous ~ instruments`: a '~' before the next '|'.
    private func instrumentedPartFollows() -> Bool {
        var cursor = position
        while cursor < characters.count, characters[cursor] != "|" {
            if characters[cursor] == "~" { return true }
            cursor += 1
        }
        return false
    }

    /// `endogenous ~ instruments`: numeric terms, none a regressor already, at least as many
    /// instruments as endogenous regressors.
    private mutating func instrumentedPart(exogenous: [Formula.Term]) throws(FormulaError) -> (endogenous: [Formula.Term], instruments: [Formula.Term]) {
        skipSpaces()
        let start = position
        let endogenous = try sum()
        guard endogenous.intercept == nil, !endogenous.terms.isEmpty else {
            position = start
            throw error("expected the endogenous regressors before '~', e.g. | x ~ z1 + z2")
        }
        skipSpaces()
        let tilde = position
        try expect("~")
        skipSpaces()
        let instrumentStart = position
        let instruments = try sum()
        guard instruments.intercept == nil, !instruments.terms.isEmpty else {
            position = instrumentStart
            throw error("expected the instruments after '~', e.g. | x ~ z1 + z2")
        }
        for (terms, role, at) in [(endogenous.terms, "an endogenous regressor", start), (instruments.terms, "an instrument", instrumentStart)] {
            if let factor = terms.first(where: { $0.variables.contains(where: \.isFactor) }) {
                throw FormulaError(message: "\(role) must be numeric, not the factor term '\(factor.name)'; make its dummies columns with data.derive", column: at + 1)
            }
        }
        let exogenousKeys = exogenous.map(\.key)
        if let both = (endogenous.terms + instruments.terms).first(where: { exogenousKeys.contains($0.key) }) {
            throw FormulaError(message: "'\(both.name)' is both a regressor and in the IV part; an exogenous regressor is its own instrument, so name it once, before the first '|'", column: start + 1)
        }
        if let both = endogenous.terms.first(where: { term in instruments.terms.contains { $0.key == term.key } }) {
            throw FormulaError(message: "'\(both.name)' is both endogenous and an instrument", column: tilde + 1)
        }
        guard instruments.terms.count >= endogenous.terms.count else {
            let count = endogenous.terms.count
            throw FormulaError(message: "\(count) endogenous regressors need at least \(count) instruments, and '\(endogenous.terms.map(\.name).joined(separator: " + ")) ~ "
                               + "\(instruments.terms.map(\.name).joined(separator: " + "))' has \(instruments.terms.count); add an excluded instrument or treat a regressor as exogenous",
                               column: tilde + 1)
        }
        return (endogenous.terms, instruments.terms)
    }

    /// The fixed effects after the first `|`: `a + b^c`.
    private mutating func fixedEffectsPart(_ fixedEffects: inout [[String]]) throws(FormulaError) {
        repeat {
            var combined: [String] = []
            repeat {
                guard let variable = try name() else { throw error("expected a fixed-effect variable") }
                if position < characters.count, characters[position] == "[" {
                    throw error("varying slopes (fixest's \(variable)[x]) are not computed yet; for a slope of x per \(variable), enter i(\(variable), x) before the '|'")
                }
                combined.append(variable)
            } while take("^")
            fixedEffects.append(combined)
        } while take("+")
    }

    /// sum := ['-'] product (('+' | '-') product)*
    private mutating func sum() throws(FormulaError) -> Terms {
        var result = Terms()
        var negative = take("-")
        while true {
            let operand = try product()
            if negative { result.remove(operand) } else { result.add(operand) }
            if take("+") { negative = false } else if take("-") { negative = true } else { return result }
        }
    }

    /// product := interaction ('*' interaction)*, a*b being a + b + a:b.
    private mutating func product() throws(FormulaError) -> Terms {
        var result = try interaction()
        while take("*") {
            let right = try interaction()
            var expanded = result
            expanded.add(right)
            for left in result.terms { for other in right.terms { expanded.add(Self.multiply(left, other)) } }
            result = expanded
        }
        return result
    }

    /// interaction := atom (':' atom)*
    private mutating func interaction() throws(FormulaError) -> Terms {
        var result = try atom()
        while take(":") {
            let colon = position - 1
            let right = try atom()
            guard !result.terms.isEmpty, !right.terms.isEmpty else {
                throw FormulaError(message: "':' joins variables, not an intercept", column: colon + 1)
            }
            var product = Terms()
            for left in result.terms { for other in right.terms { product.add(Self.multiply(left, other)) } }
            result = product
        }
        return result
    }

    private static func multiply(_ left: Formula.Term, _ right: Formula.Term) -> Formula.Term {
        var variables = left.variables
        for variable in right.variables where !variables.contains(variable) { variables.append(variable) }
        return Formula.Term(variables: variables)
    }

    /// atom := name | name '^' digits | function '(' … ')' | '(' sum ')' | '0' | '1'
    private mutating func atom() throws(FormulaError) -> Terms {
        skipSpaces()
        if take("(") {
            let inner = try sum()
            try expect(")")
            return inner
        }
        if position < characters.count, characters[position] == "0" || characters[position] == "1" {
            let intercept = characters[position] == "1"
            position += 1
            return Terms(terms: [], intercept: intercept)
        }
        let start = position
        guard let variable = try name() else { throw error("expected a variable, i(...), factor(...), a function, '(' or 1/0") }
        if take("(") { return try function(variable, start: start) }
        // x^2: a power of a variable (fixed effects' a^b is after '|', parsed elsewhere).
        if take("^") {
            skipSpaces()
            let digits = position
            guard let power = wholeNumber(), power >= 1, position == characters.count || characters[position] != "." else {
                position = digits
                throw error("expected a whole power after '^', e.g. \(variable)^2")
            }
            let text = "\(variable)^\(power)"
            return Terms(terms: [Formula.Term(variables: [power == 1 ? Formula.Variable(variable) : Formula.Variable(text, expression: text)])])
        }
        return Terms(terms: [Formula.Term(variables: [Formula.Variable(variable)])])
    }

    /// After `name(`: a factor marker, `poly(x, k)`, `I(expression)` or a function of variables.
    private mutating func function(_ function: String, start: Int) throws(FormulaError) -> Terms {
        guard Formula.functions.contains(function) else {
            position = start
            throw error("unknown function '\(function)'; formulas take \(Formula.functions.map { "\($0)()" }.joined(separator: ", "))")
        }
        if function == "i" || function == "factor" {
            guard let inner = try name() else { throw error("expected a variable inside \(function)(...)") }
            // fixest's i(f), i(f, x), i(f, ref = level), i(f, x, ref = level).
            var factor = Formula.Variable(inner, factor: function), slope: String?
            while take(",") {
                skipSpaces()
                let argument = position
                if let word = try name(), word == "ref", take("=") {
                    factor.reference = try referenceLevel()
                } else {
                    position = argument
                    guard function == "i", slope == nil, factor.reference == nil, let variable = try name() else {
                        throw error("i() takes i(f), i(f, x), i(f, ref = level) or i(f, x, ref = level)")
                    }
                    slope = variable
                }
            }
            try expect(")")
            return Terms(terms: [Formula.Term(variables: [factor] + (slope.map { [Formula.Variable($0)] } ?? []))])
        }
        if function == "l" || function == "f" || function == "d" {
            guard let inner = try name() else { throw error("expected a variable inside \(function)(...)") }
            var range = 1...1
            if take(",") {
                skipSpaces()
                let at = position
                guard let first = wholeNumber() else { throw error("expected a whole number of periods, e.g. \(function)(\(inner), 1)") }
                var last = first
                if take(":") {
                    guard let end = wholeNumber(), end >= first else { throw error("expected a range of periods such as 1:3") }
                    last = end
                }
                guard first >= (function == "d" ? 1 : 0), last <= 100 else {
                    position = at
                    throw error("\(function)() takes \(function == "d" ? 1 : 0) to 100 periods")
                }
                range = first...last
            }
            try expect(")")
            var terms = Terms()
            for periods in range {
                let name = function == "d" && range == 1...1 ? "d(\(inner))" : "\(function)(\(inner), \(periods))"
                let shift = Formula.Variable.Shift(column: inner, lag: function == "f" ? -periods : periods, difference: function == "d")
                terms.add(Formula.Term(variables: [periods == 0 ? Formula.Variable(inner) : Formula.Variable(name, shift: shift)]))
            }
            return terms
        }
        if function == "poly" {
            guard let inner = try name() else { throw error("expected a variable inside poly(...)") }
            try expect(",")
            guard let degree = wholeNumber(), (1...10).contains(degree) else {
                throw error("poly(\(inner), k) takes a degree k from 1 to 10")
            }
            skipSpaces()
            if position < characters.count, characters[position] == "," {
                throw error("poly() takes raw powers only, poly(x, k); orthogonal polynomials are not computed")
            }
            try expect(")")
            // Raw powers x, x², …, named as R names poly()'s columns.
            var terms = Terms()
            for power in 1...degree {
                terms.add(Formula.Term(variables: [Formula.Variable("poly(\(inner), \(degree))\(power)", expression: power == 1 ? inner : "\(inner)^\(power)")]))
            }
            return terms
        }
        // The call's text up to its closing parenthesis, checked by the expression engine.
        let open = position
        var depth = 1
        while position < characters.count, depth > 0 {
            if characters[position] == "(" { depth += 1 } else if characters[position] == ")" { depth -= 1 }
            position += 1
        }
        guard depth == 0 else {
            position = start
            throw error("'\(function)(' is not closed")
        }
        let inner = String(characters[open..<(position - 1)])
        let text = function + "(" + inner + ")"
        let source = function == "I" ? inner : text
        // Inside, any function of the expression engine (I(ifelse(x > 0, x, 0)) included).
        do { _ = try Expression(source) } catch {
            let offset = function == "I" ? open : start
            throw FormulaError(message: error.message, column: error.position.map { offset + $0 } ?? start + 1)
        }
        return Terms(terms: [Formula.Term(variables: [Formula.Variable(text, expression: source)])])
    }

    /// A reference level: a quoted string, or the text up to ',' or ')' (a number such as -1, or
    /// a word).
    private mutating func referenceLevel() throws(FormulaError) -> String {
        skipSpaces()
        guard position < characters.count else { throw error("expected a level after 'ref ='") }
        let quote = characters[position]
        if quote == "\"" || quote == "'" {
            guard let text = delimited(by: quote) else { throw error("the level's quote is not closed") }
            return text
        }
        var text = ""
        while position < characters.count, characters[position] != ",", characters[position] != ")" {
            text.append(characters[position])
            position += 1
        }
        let level = text.trimmingCharacters(in: .whitespaces)
        guard !level.isEmpty else { throw error("expected a level after 'ref ='") }
        return level
    }

    /// A variable name: letters, digits, '_' and '.', not starting with a digit; or `backquoted`.
    private mutating func name() throws(FormulaError) -> String? {
        skipSpaces()
        guard position < characters.count else { return nil }
        if characters[position] == "`" {
            guard let text = delimited(by: "`") else { throw error("unclosed '`'") }
            return text
        }
        let first = characters[position]
        guard first.isLetter || first == "_" || first == "." else { return nil }
        var text = ""
        while position < characters.count, characters[position].isLetter || characters[position].isNumber
            || characters[position] == "_" || characters[position] == "." {
            text.append(characters[position])
            position += 1
        }
        return text
    }

    /// The text between the delimiter at the current position and the next `closing`, both
    /// consumed; nil, the position unmoved, when `closing` never comes.
    private mutating func delimited(by closing: Character) -> String? {
        let start = position
        position += 1
        var text = ""
        while position < characters.count, characters[position] != closing {
            text.append(characters[position])
            position += 1
        }
        guard position < characters.count else {
            position = start
            return nil
        }
        position += 1
        return text
    }

    /// A whole number after any spaces; nil, the position at its start, when there are no digits.
    private mutating func wholeNumber() -> Int? {
        skipSpaces()
        let digits = position
        while position < characters.count, characters[position].isNumber { position += 1 }
        guard position > digits, let value = Int(String(characters[digits..<position])) else {
            position = digits
            return nil
        }
        return value
    }

    private mutating func expect(_ symbol: Character) throws(FormulaError) {
        guard take(symbol) else { throw error("expected '\(symbol)', found \(found)") }
    }

    private func error(_ message: String) -> FormulaError {
        FormulaError(message: message, column: position + 1)
    }
}

/// fixest's multiple estimation, written in one formula and expanded into several:
///
/// - `c(y1, y2) ~ x` (or pyfixest's `y1 + y2 ~ x`): one model per outcome (before `~` only);
/// - `sw(a, b)`: stepwise, one model with a and one with b in its place; `sw0(a, b)` also one
///   without either;
/// - `csw(a, b)`: cumulative stepwise, a then a + b; `csw0(a, b)` starting from neither.
///
/// Each operator may appear once; several multiply (c() × sw()), in the order written, the
/// last varying fastest. Arguments are any right-hand sides (`csw(x2, log(x3) + x4)`); in the
/// fixed-effects part, `sw(firm, firm + year)` varies the effects (not `sw0`/`csw0` there).
public enum MultipleEstimation {
    public static let operators = ["c", "sw", "sw0", "csw", "csw0"]

    /// The formulas `text` stands for, in fixest's order: itself alone when it has no operator.
    /// - Throws: `FormulaError` at the operator's column when it is misused.
    public static func expand(_ text: String) throws(FormulaError) -> [String] {
        let characters = Array(text)
        // pyfixest's `y1 + y2 ~ x`, the same as c(y1, y2) ~ x.
        if let tilde = characters.firstIndex(of: "~") {
            let parts = split(characters[..<tilde], at: "+")
            if parts.count > 1 {
                let rest = String(characters[tilde...])
                var formulas: [String] = []
                for outcome in parts { formulas += try expand(outcome + " " + rest) }
                return formulas
            }
        }
        guard let call = try firstCall(characters) else { return [text] }
        let before = String(characters[..<call.start]), after = String(characters[call.end...])
        let tilde = characters.firstIndex(of: "~") ?? characters.count
        let bar = characters.firstIndex(of: "|") ?? characters.count
        let variants: [String]
        switch call.name {
        case "c":
            guard call.start < tilde else {
                throw FormulaError(message: "c() lists outcomes, before '~' (c(y1, y2) ~ x); on the right use sw() or csw()", column: call.start + 1)
            }
            variants = call.arguments
        case "sw0", "csw0":
            guard call.start > tilde, call.start < bar else {
                throw FormulaError(message: "\(call.name)() varies regressors, after '~' and before any '|'; for fixed effects use \(call.name.dropLast())()", column: call.start + 1)
            }
            variants = ["1"] + cumulate(call.arguments, call.name == "csw0")
        default:
            guard call.start > tilde else {
                throw FormulaError(message: "\(call.name)() varies terms after '~'; for several outcomes write c(y1, y2) ~ …", column: call.start + 1)
            }
            variants = cumulate(call.arguments, call.name == "csw")
        }
        var formulas: [String] = []
        for variant in variants {
            // Grouped on the right of '~' (`x + (a + b)`), bare as an outcome or fixed effects.
            let grouped = call.name != "c" && call.start < bar
            formulas += try expand(before + (grouped ? "(" + variant + ")" : variant) + after)
        }
        return formulas
    }

    /// The text split at each `separator` outside parentheses, each part trimmed.
    static func split(_ characters: ArraySlice<Character>, at separator: Character) -> [String] {
        var depth = 0, parts: [String] = [], start = characters.startIndex
        for index in characters.indices {
            switch characters[index] {
            case "(": depth += 1
            case ")": depth -= 1
            case separator where depth == 0:
                parts.append(String(characters[start..<index]).trimmingCharacters(in: .whitespaces))
                start = index + 1
            default: break
            }
        }
        return parts + [String(characters[start...]).trimmingCharacters(in: .whitespaces)]
    }

    /// The arguments as they are (sw) or each joined to those before it (csw).
    static func cumulate(_ arguments: [String], _ cumulative: Bool) -> [String] {
        guard cumulative else { return arguments }
        return arguments.indices.map { arguments[...$0].joined(separator: " + ") }
    }

    /// The first call of an operator: its name, where it starts and ends, its arguments.
    static func firstCall(_ characters: [Character]) throws(FormulaError) -> (name: String, start: Int, end: Int, arguments: [String])? {
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character.isLetter || character == "_" else { index += 1; continue }
            var end = index
            while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" || characters[end] == "." { end += 1 }
            let word = String(characters[index..<end])
            var open = end
            while open < characters.count, characters[open] == " " { open += 1 }
            guard operators.contains(word), open < characters.count, characters[open] == "(" else { index = end; continue }
            var depth = 0, cursor = open
            repeat {
                if characters[cursor] == "(" { depth += 1 } else if characters[cursor] == ")" { depth -= 1 }
                cursor += 1
            } while depth > 0 && cursor < characters.count
            guard depth == 0 else { throw FormulaError(message: "'\(word)(' is not closed", column: index + 1) }
            let arguments = split(characters[(open + 1)..<(cursor - 1)], at: ",")
            guard arguments.count >= 1, !arguments.contains(where: \.isEmpty) else {
                throw FormulaError(message: "\(word)() takes one or more comma-separated parts, e.g. \(word)(x1, x2)", column: index + 1)
            }
            return (word, index, cursor, arguments)
        }
        return nil
    }
}
