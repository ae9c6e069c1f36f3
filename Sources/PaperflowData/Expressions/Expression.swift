/// A row-wise expression over a table's columns, as `subset:` and `data.derive` take them:
/// `log(export_value)`, `density_firm * density_city`, `region == "East" & year >= 2005`.
///
/// The grammar is R's and Stata's, lowest precedence first: `|` (also `||`, `or`), `&` (`&&`,
/// `and`), `!` (`not`), comparisons (`== != < <= > >=`), `+ -`, `* /`, unary `-`, `^` (right
/// associative), then numbers, quoted strings, `NA`, `TRUE`/`FALSE`, column names (backquote a
/// name with spaces or operators) and function calls (see `Expression.functions`).
///
/// Missing values follow R: arithmetic and comparisons with a missing operand are missing, and
/// `subset:` keeps only the rows where the predicate is true.
public struct Expression: Sendable, Hashable, CustomStringConvertible {
    indirect enum Node: Sendable, Hashable {
        case number(Double)
        case text(String)
        case boolean(Bool)
        case missing
        case column(String, offset: Int)
        case unary(String, Node, offset: Int)
        case binary(String, Node, Node, offset: Int)
        case call(String, [Node], offset: Int)
    }

    /// The text it was parsed from.
    public let source: String
    let root: Node

    /// Parses `source`.
    /// - Throws: `ExpressionError` with the 1-based character position of the problem.
    public init(_ source: String) throws(ExpressionError) {
        var parser = Parser(source)
        self.source = source
        self.root = try parser.parseAll()
    }

    /// The column names it reads.
    public var columns: [String] {
        var names: [String] = []
        func visit(_ node: Node) {
            switch node {
            case let .column(name, _): if !names.contains(name) { names.append(name) }
            case let .unary(_, operand, _): visit(operand)
            case let .binary(_, left, right, _): visit(left); visit(right)
            case let .call(_, arguments, _): arguments.forEach(visit)
            default: break
            }
        }
        visit(root)
        return names
    }

    public var description: String { source }

    /// The functions an expression may call, with their arity and meaning.
    public static let functions: [String: (arity: ClosedRange<Int>, summary: String)] = [
        "log": (1...1, "natural logarithm; an error on a value ≤ 0 (use log1p, or ifelse)"),
        "log1p": (1...1, "log(1 + x)"),
        "exp": (1...1, "e to the x"),
        "sqrt": (1...1, "square root; an error on a negative value"),
        "abs": (1...1, "absolute value"),
        "round": (1...2, "round(x) or round(x, digits), half away from zero"),
        "scale": (1...1, "(x − mean) / sd over the rows present (sd with n − 1, as R's scale)"),
        "is_missing": (1...1, "TRUE where x is missing"),
        "ifelse": (3...3, "ifelse(condition, a, b); missing where the condition is"),
        "one_of": (2...64, "one_of(x, v1, v2, …): TRUE where x equals one of the values"),
        "min": (2...2, "the smaller of two values, row by row"),
        "max": (2...2, "the larger of two values, row by row"),
        "l": (1...2, "l(x, k): x k periods before (default 1) in the row's group — data.derive's by: and order: — by time value, so a gap gives a missing value"),
        "f": (1...2, "f(x, k): x k periods after (default 1), as l()"),
        "d": (1...1, "d(x): x minus its value one period before, as l()"),
        "mean": (1...1, "the mean of x over the row's group (data.derive's by:; the whole table without), missing values left out"),
        "sum": (1...1, "the sum of x over the row's group, missing values left out"),
        "rank": (1...1, "the rank of x within the row's group, 1 the smallest, ties averaged (R's rank); missing stays missing"),
        "cumsum": (1...1, "the running sum of x within the row's group along order: (row order without); a missing value makes the rest missing (R's cumsum)"),
        "substr": (3...3, "substr(text, start, length): characters start … start + length − 1 (1-based, as R's substr); e.g. the HS chapter substr(product, 1, 2)"),
    ]
}

/// Why an expression could not be parsed or evaluated.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String
    /// 1-based character position in the expression, when the problem has one.
    public var position: Int?
    /// 1-based row of the table, when the problem is a value.
    public var row: Int?

    public init(_ message: String, position: Int? = nil, row: Int? = nil) {
        self.message = message
        self.position = position
        self.row = row
    }

    public var description: String {
        var text = message
        if let position { text = "character \(position): " + text }
        if let row { text += " (row \(row))" }
        return text
    }
}

/// Recursive descent over the characters of the source.
struct Parser {
    enum Token: Equatable {
        case number(Double), text(String), name(String), symbol(String), end
    }

    let characters: [Character]
    var index = 0
    var token: Token = .end
    var tokenStart = 0

    init(_ source: String) { characters = Array(source) }

    mutating func parseAll() throws(ExpressionError) -> Expression.Node {
        try advance()
        if token == .end { throw ExpressionError("the expression is empty", position: 1) }
        let node = try parseOr()
        guard token == .end else { throw ExpressionError("unexpected \(describe(token)); an operator or the end was expected", position: tokenStart + 1) }
        return node
    }

    func describe(_ token: Token) -> String {
        switch token {
        case let .number(value): return "number \(value)"
        case let .text(text): return "string \"\(text)\""
        case let .name(name): return "'\(name)'"
        case let .symbol(symbol): return "'\(symbol)'"
        case .end: return "end of the expression"
        }
    }

    mutating func advance() throws(ExpressionError) {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        tokenStart = index
        guard index < characters.count else { token = .end; return }
        let character = characters[index]
        if character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
            var end = index
            while end < characters.count, characters[end].isNumber || characters[end] == "." { end += 1 }
            if end < characters.count, characters[end] == "e" || characters[end] == "E" {
                var exponent = end + 1
                if exponent < characters.count, characters[exponent] == "+" || characters[exponent] == "-" { exponent += 1 }
                if exponent < characters.count, characters[exponent].isNumber {
                    end = exponent
                    while end < characters.count, characters[end].isNumber { end += 1 }
                }
            }
            let text = String(characters[index..<end])
            guard let value = Double(text) else { throw ExpressionError("'\(text)' is not a number", position: index + 1) }
            token = .number(value)
            index = end
        } else if character == "\"" || character == "'" || character == "`" {
            var end = index + 1
            var text = ""
            while end < characters.count, characters[end] != character { text.append(characters[end]); end += 1 }
            guard end < characters.count else {
                throw ExpressionError("the \(character == "`" ? "backquoted name" : "string") is not closed; add \(character)", position: index + 1)
            }
            token = character == "`" ? .name(text) : .text(text)
            index = end + 1
        } else if character.isLetter || character == "_" {
            var end = index
            while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" || characters[end] == "." {
                end += 1
            }
            token = .name(String(characters[index..<end]))
            index = end
        } else {
            let two = index + 1 < characters.count ? String(characters[index...index + 1]) : ""
            if ["==", "!=", "<=", ">=", "&&", "||", "**"].contains(two) {
                token = .symbol(two == "**" ? "^" : two == "&&" ? "&" : two == "||" ? "|" : two)
                index += 2
            } else if "+-*/^()<>!&|,".contains(character) {
                token = .symbol(String(character))
                index += 1
            } else if character == "=" {
                throw ExpressionError("'=' is assignment; compare with '=='", position: index + 1)
            } else {
                throw ExpressionError("unexpected character '\(character)'", position: index + 1)
            }
        }
    }

    /// Whether the current token is the operator `symbol` or one of its word spellings.
    func isOperator(_ symbol: String, words: [String] = []) -> Bool {
        if token == .symbol(symbol) { return true }
        if case let .name(name) = token { return words.contains(name) }
        return false
    }

    mutating func parseOr() throws(ExpressionError) -> Expression.Node {
        var left = try parseAnd()
        while isOperator("|", words: ["or"]) {
            let offset = tokenStart
            try advance()
            left = .binary("|", left, try parseAnd(), offset: offset)
        }
        return left
    }

    mutating func parseAnd() throws(ExpressionError) -> Expression.Node {
        var left = try parseNot()
        while isOperator("&", words: ["and"]) {
            let offset = tokenStart
            try advance()
            left = .binary("&", left, try parseNot(), offset: offset)
        }
        return left
    }

    mutating func parseNot() throws(ExpressionError) -> Expression.Node {
        if isOperator("!", words: ["not"]) {
            let offset = tokenStart
            try advance()
            return .unary("!", try parseNot(), offset: offset)
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(ExpressionError) -> Expression.Node {
        let left = try parseSum()
        for symbol in ["==", "!=", "<=", ">=", "<", ">"] where token == .symbol(symbol) {
            let offset = tokenStart
            try advance()
            return .binary(symbol, left, try parseSum(), offset: offset)
        }
        return left
    }

    mutating func parseSum() throws(ExpressionError) -> Expression.Node {
        var left = try parseProduct()
        while token == .symbol("+") || token == .symbol("-") {
            guard case let .symbol(symbol) = token else { break }
            let offset = tokenStart
            try advance()
            left = .binary(symbol, left, try parseProduct(), offset: offset)
        }
        return left
    }

    mutating func parseProduct() throws(ExpressionError) -> Expression.Node {
        var left = try parseUnary()
        while token == .symbol("*") || token == .symbol("/") {
            guard case let .symbol(symbol) = token else { break }
            let offset = tokenStart
            try advance()
            left = .binary(symbol, left, try parseUnary(), offset: offset)
        }
        return left
    }

    mutating func parseUnary() throws(ExpressionError) -> Expression.Node {
        if token == .symbol("-") || token == .symbol("+") {
            let negate = token == .symbol("-"), offset = tokenStart
            try advance()
            let operand = try parseUnary()
            return negate ? .unary("-", operand, offset: offset) : operand
        }
        return try parsePower()
    }

    mutating func parsePower() throws(ExpressionError) -> Expression.Node {
        let base = try parsePrimary()
        if token == .symbol("^") {
            let offset = tokenStart
            try advance()
            return .binary("^", base, try parseUnary(), offset: offset)
        }
        return base
    }

    mutating func parsePrimary() throws(ExpressionError) -> Expression.Node {
        let offset = tokenStart
        switch token {
        case let .number(value):
            try advance()
            return .number(value)
        case let .text(text):
            try advance()
            return .text(text)
        case .symbol("("):
            try advance()
            let inner = try parseOr()
            guard token == .symbol(")") else { throw ExpressionError("expected ')' to close the '(' at character \(offset + 1)", position: tokenStart + 1) }
            try advance()
            return inner
        case let .name(name):
            let quoted = characters[offset] == "`"
            try advance()
            if !quoted, token == .symbol("(") {
                guard let function = Expression.functions[name] else {
                    throw ExpressionError("unknown function '\(name)'; available: \(Expression.functions.keys.sorted().joined(separator: ", "))",
                                          position: offset + 1)
                }
                try advance()
                var arguments: [Expression.Node] = []
                if token != .symbol(")") {
                    arguments.append(try parseOr())
                    while token == .symbol(",") {
                        try advance()
                        arguments.append(try parseOr())
                    }
                }
                guard token == .symbol(")") else { throw ExpressionError("expected ',' or ')' in the call of \(name)", position: tokenStart + 1) }
                try advance()
                guard function.arity.contains(arguments.count) else {
                    throw ExpressionError("\(name) takes \(function.arity.lowerBound == function.arity.upperBound ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) to \(function.arity.upperBound)") argument(s), not \(arguments.count): \(function.summary)",
                                          position: offset + 1)
                }
                return .call(name, arguments, offset: offset)
            }
            if !quoted {
                switch name {
                case "NA": return .missing
                case "TRUE", "true": return .boolean(true)
                case "FALSE", "false": return .boolean(false)
                default: break
                }
            }
            return .column(name, offset: offset)
        default:
            throw ExpressionError("expected a value, a column or '(', found \(describe(token))", position: offset + 1)
        }
    }
}
