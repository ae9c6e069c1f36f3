/// A model formula in R fixest's syntax:
///
///     y ~ x1 + x2 + x1:x2 | fe1 + fe2
///
/// - `a:b` is the product of a and b; `a*b` is `a + b + a:b` (and `a*b*c` every sub-product);
/// - `i(x)` or `factor(x)` enters x as a factor: one dummy per level but the first;
/// - `- 1` or `+ 0` removes the intercept, `- x` removes a term, parentheses group;
/// - after `|`, fixed effects to absorb, `a^b` being the combination of a and b (fixest's syntax).
///
/// Terms are ordered as R's `terms()` orders them, by degree then by first appearance; `b:a` is
/// the same term as `a:b` and keeps the spelling it first had.
public struct Formula: Sendable, Equatable, CustomStringConvertible {
    /// A variable as a term uses it.
    public struct Variable: Sendable, Hashable {
        public var name: String
        /// Entered as a factor, through `i()` or `factor()`.
        public var isFactor: Bool
        /// How the formula spelt it: `i` or `factor` for factors.
        public var wrapper: String?

        public init(_ name: String, factor wrapper: String? = nil) {
            self.name = name
            isFactor = wrapper != nil
            self.wrapper = wrapper
        }

        public var description: String { wrapper.map { "\($0)(\(name))" } ?? name }
    }

    /// A product of variables (a main effect when there is one).
    public struct Term: Sendable, Equatable {
        public var variables: [Variable]
        public var name: String { variables.map(\.description).joined(separator: ":") }
        var key: Set<Variable> { Set(variables) }
    }

    public var outcome: String
    public var terms: [Term]
    public var hasIntercept: Bool
    /// Fixed effects to absorb; each is one variable or a combination (`a^b`).
    public var fixedEffects: [[String]]

    /// Every variable the formula reads, outcome first, each once.
    public var variables: [String] {
        var seen = Set<String>()
        return ([outcome] + terms.flatMap { $0.variables.map(\.name) } + fixedEffects.flatMap { $0 }).filter { seen.insert($0).inserted }
    }

    public var description: String {
        var right = terms.map(\.name)
        if !hasIntercept { right.append("0") }
        var text = "\(outcome) ~ \(right.isEmpty ? "1" : right.joined(separator: " + "))"
        if !fixedEffects.isEmpty { text += " | " + fixedEffects.map { $0.joined(separator: "^") }.joined(separator: " + ") }
        return text
    }

    /// Parses `text`.
    /// - Throws: `FormulaError` with the 1-based column of the offending character.
    public init(_ text: String) throws(FormulaError) {
        var parser = FormulaParser(text)
        self = try parser.formula()
    }

    init(outcome: String, terms: [Term], hasIntercept: Bool, fixedEffects: [[String]]) {
        self.outcome = outcome
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
struct FormulaParser {
    private let characters: [Character]
    private var position = 0

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
        guard let outcome = try name() else { throw error("expected the outcome variable before '~'") }
        try expect("~")
        let right = try sum()
        var fixedEffects: [[String]] = []
        if take("|") {
            repeat {
                var combined: [String] = []
                repeat {
                    guard let variable = try name() else { throw error("expected a fixed-effect variable") }
                    combined.append(variable)
                } while take("^")
                fixedEffects.append(combined)
            } while take("+")
        }
        skipSpaces()
        if position < characters.count { throw error("unexpected '\(characters[position])'") }
        let ordered = right.terms.enumerated().sorted { ($0.element.variables.count, $0.offset) < ($1.element.variables.count, $1.offset) }
        return Formula(outcome: outcome, terms: ordered.map(\.element), hasIntercept: right.intercept ?? true, fixedEffects: fixedEffects)
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

    /// atom := name | i(name) | factor(name) | '(' sum ')' | '0' | '1'
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
        guard let variable = try name() else { throw error("expected a variable, i(...), factor(...), '(' or 1/0") }
        if take("(") {
            guard variable == "i" || variable == "factor" else {
                position = start
                throw error("unknown function '\(variable)': terms take i(x) or factor(x)")
            }
            guard let inner = try name() else { throw error("expected a variable inside \(variable)(...)") }
            try expect(")")
            return Terms(terms: [Formula.Term(variables: [Formula.Variable(inner, factor: variable)])])
        }
        return Terms(terms: [Formula.Term(variables: [Formula.Variable(variable)])])
    }

    /// A variable name: letters, digits, '_' and '.', not starting with a digit; or `backquoted`.
    private mutating func name() throws(FormulaError) -> String? {
        skipSpaces()
        guard position < characters.count else { return nil }
        if characters[position] == "`" {
            let start = position
            position += 1
            var text = ""
            while position < characters.count, characters[position] != "`" {
                text.append(characters[position])
                position += 1
            }
            guard position < characters.count else {
                position = start
                throw error("unclosed '`'")
            }
            position += 1
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

    private mutating func skipSpaces() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    private mutating func take(_ symbol: Character) -> Bool {
        skipSpaces()
        guard position < characters.count, characters[position] == symbol else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ symbol: Character) throws(FormulaError) {
        guard take(symbol) else {
            let found = position < characters.count ? "'\(characters[position])'" : "the end"
            throw error("expected '\(symbol)', found \(found)")
        }
    }

    private func error(_ message: String) -> FormulaError {
        FormulaError(message: message, column: position + 1)
    }
}
