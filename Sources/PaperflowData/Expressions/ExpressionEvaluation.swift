import Foundation

extension Expression {
    /// One value per row, of one type.
    enum Vector {
        /// NaN is missing.
        case numbers([Double])
        /// nil is missing.
        case booleans([Bool?])
        /// nil is missing.
        case texts([String?])
        /// The literal NA: becomes whatever type it meets.
        case missing

        var typeName: String {
            switch self {
            case .numbers: return "a number"
            case .booleans: return "a condition (TRUE/FALSE)"
            case .texts: return "text"
            case .missing: return "NA"
            }
        }
    }

    /// Evaluates the expression on every row: numbers give a Double column (non-finite results
    /// such as a division by zero are missing), conditions a Bool column, text a category column.
    /// - Throws: `ExpressionError` naming the position (unknown column, type mismatch) or the row
    ///   (log of a value ≤ 0).
    /// With `groups` (data.derive's by: and order:), l(), f(), d(), mean(), sum(), rank() and
    /// cumsum() work within each group along its time; without, the whole table is one group.
    public func evaluate(on table: Table, groups: ExpressionGroups? = nil) throws(ExpressionError) -> Column {
        switch try Evaluator(table: table, undefinedAsMissing: false, groups: groups ?? .whole(table.rowCount)).evaluate(root) {
        case let .numbers(values): return Column(double: values.map { $0.isFinite ? $0 : nil })
        case let .booleans(values): return Column(bool: values)
        case let .texts(values): return Column(category: values)
        case .missing: return Column(double: [Double?](repeating: nil, count: table.rowCount))
        }
    }

    /// The rows (0-based, ascending) where the expression, a condition, is true; missing counts
    /// as false, as in R's `subset()` and dplyr's `filter()`.
    /// - Throws: `ExpressionError` when it is not a condition, or cannot be evaluated.
    public func rows(where table: Table) throws(ExpressionError) -> [Int] {
        guard case let .booleans(values) = try Evaluator(table: table, undefinedAsMissing: false, groups: .whole(table.rowCount)).evaluate(root) else {
            throw ExpressionError("'\(source)' is not a condition; write a comparison such as year >= 2005 or region == \"East\"")
        }
        return values.indices.filter { values[$0] == true }
    }

    /// The numeric values on every row as a model formula takes them: where a function is
    /// undefined (log of 0, the square root of a negative) or the result not finite, missing
    /// (NaN), so the row is dropped and counted as fixest drops it, not an error.
    /// - Throws: `ExpressionError` when it is not numeric or reads an unknown column.
    public func numbers(on table: Table) throws(ExpressionError) -> [Double] {
        switch try Evaluator(table: table, undefinedAsMissing: true, groups: .whole(table.rowCount)).evaluate(root) {
        case let .numbers(values): return values.map { $0.isFinite ? $0 : .nan }
        case .missing: return [Double](repeating: .nan, count: table.rowCount)
        case let other: throw ExpressionError("'\(source)' is \(other.typeName), not a number")
        }
    }

    struct Evaluator {
        let table: Table
        /// A formula's rule: an undefined function value is missing rather than an error.
        let undefinedAsMissing: Bool
        /// The groups and time order of the functions that look across rows.
        let groups: ExpressionGroups
        var count: Int { table.rowCount }

        func evaluate(_ node: Node) throws(ExpressionError) -> Vector {
            switch node {
            case let .number(value): return .numbers([Double](repeating: value, count: count))
            case let .text(text): return .texts([String?](repeating: text, count: count))
            case let .boolean(value): return .booleans([Bool?](repeating: value, count: count))
            case .missing: return .missing
            case let .column(name, offset):
                guard let column = table[name] else {
                    throw ExpressionError("no column '\(name)'; the table has \(table.names.joined(separator: ", "))", position: offset + 1)
                }
                switch column.storage {
                case .string, .category: return .texts((0..<count).map { column[$0].stringValue })
                case .bool: return .booleans((0..<count).map { if case let .bool(b) = column[$0] { b } else { nil } })
                case .int64, .double: return .numbers(column.numericValues()!)
                }
            case let .unary(symbol, operand, offset):
                let value = try evaluate(operand)
                if symbol == "!" { return .booleans(try booleans(value, for: "!", at: offset).map { $0.map { !$0 } }) }
                return .numbers(try numbers(value, for: "-", at: offset).map { -$0 })
            case let .binary(symbol, left, right, offset):
                return try binary(symbol, try evaluate(left), try evaluate(right), at: offset)
            case let .call(name, arguments, offset):
                return try call(name, try arguments.map { (node) throws(ExpressionError) in try evaluate(node) }, at: offset)
            }
        }

        func numbers(_ value: Vector, for operation: String, at offset: Int) throws(ExpressionError) -> [Double] {
            switch value {
            case let .numbers(values): return values
            case let .booleans(values): return values.map { $0.map { $0 ? 1 : 0 } ?? .nan }
            case .missing: return [Double](repeating: .nan, count: count)
            case .texts: throw ExpressionError("\(operation) needs numbers, but its operand is text; compare text with == and a quoted string",
                                               position: offset + 1)
            }
        }

        func booleans(_ value: Vector, for operation: String, at offset: Int) throws(ExpressionError) -> [Bool?] {
            switch value {
            case let .booleans(values): return values
            case .missing: return [Bool?](repeating: nil, count: count)
            default: throw ExpressionError("\(operation) needs conditions (TRUE/FALSE), but its operand is \(value.typeName)", position: offset + 1)
            }
        }

        func binary(_ symbol: String, _ left: Vector, _ right: Vector, at offset: Int) throws(ExpressionError) -> Vector {
            switch symbol {
            case "&", "|":
                let a = try booleans(left, for: symbol, at: offset), b = try booleans(right, for: symbol, at: offset)
                // Three-valued logic, as R: FALSE & NA is FALSE, TRUE | NA is TRUE.
                return .booleans(zip(a, b).map { x, y in
                    if symbol == "&" { return x == false || y == false ? false : (x == nil || y == nil ? nil : true) }
                    return x == true || y == true ? true : (x == nil || y == nil ? nil : false)
                })
            case "==", "!=", "<", "<=", ">", ">=":
                return .booleans(try compare(symbol, left, right, at: offset))
            default:
                let a = try numbers(left, for: symbol, at: offset), b = try numbers(right, for: symbol, at: offset)
                switch symbol {
                case "+": return .numbers(zip(a, b).map(+))
                case "-": return .numbers(zip(a, b).map(-))
                case "*": return .numbers(zip(a, b).map(*))
                case "/": return .numbers(zip(a, b).map { $1 == 0 ? .nan : $0 / $1 })
                default: return .numbers(zip(a, b).map { pow($0, $1) })
                }
            }
        }

        func compare(_ symbol: String, _ left: Vector, _ right: Vector, at offset: Int) throws(ExpressionError) -> [Bool?] {
            func test<T: Comparable>(_ a: T, _ b: T) -> Bool {
                switch symbol {
                case "==": return a == b
                case "!=": return a != b
                case "<": return a < b
                case "<=": return a <= b
                case ">": return a > b
                default: return a >= b
                }
            }
            switch (left, right) {
            case let (.texts(a), .texts(b)):
                return zip(a, b).map { x, y in x.flatMap { x in y.map { test(x, $0) } } }
            case (.texts, .missing), (.missing, .texts):
                return [Bool?](repeating: nil, count: count)
            case (.texts, _), (_, .texts):
                throw ExpressionError("\(symbol) compares text with \(left.typeName == "text" ? right.typeName : left.typeName); quote the value, e.g. region == \"East\"",
                                      position: offset + 1)
            default:
                let a = try numbers(left, for: symbol, at: offset), b = try numbers(right, for: symbol, at: offset)
                return zip(a, b).map { $0.isNaN || $1.isNaN ? nil : test($0, $1) }
            }
        }

        func call(_ name: String, _ arguments: [Vector], at offset: Int) throws(ExpressionError) -> Vector {
            func argument(_ index: Int) throws(ExpressionError) -> [Double] { try numbers(arguments[index], for: name, at: offset) }
            if Self.groupedFunctions.contains(name) { return try grouped(name, arguments, at: offset) }
            switch name {
            case "log", "sqrt":
                let values = try argument(0)
                if undefinedAsMissing {
                    return .numbers(values.map { value in
                        name == "log" ? (value > 0 ? Foundation.log(value) : .nan) : (value >= 0 ? value.squareRoot() : .nan)
                    })
                }
                if let row = values.indices.first(where: { name == "log" ? values[$0] <= 0 : values[$0] < 0 }) {
                    throw ExpressionError("\(name) of \(values[row]) is undefined; \(name == "log" ? "use log1p(x), or ifelse(x > 0, log(x), NA)" : "check the sign of the values")",
                                          position: offset + 1, row: row + 1)
                }
                return .numbers(values.map(name == "log" ? { Foundation.log($0) } : { $0.squareRoot() }))
            case "log1p": return .numbers(try argument(0).map { Foundation.log1p($0) })
            case "exp": return .numbers(try argument(0).map { Foundation.exp($0) })
            case "abs": return .numbers(try argument(0).map { Swift.abs($0) })
            case "round":
                let digits = arguments.count == 2 ? try argument(1) : [Double](repeating: 0, count: count)
                return .numbers(zip(try argument(0), digits).map { value, digits in
                    let scale = pow(10, digits)
                    return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
                })
            case "scale":
                let values = try argument(0)
                let present = values.filter { !$0.isNaN }
                guard present.count > 1 else { throw ExpressionError("scale needs at least two values present", position: offset + 1) }
                let mean = present.reduce(0, +) / Double(present.count)
                let sd = (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(present.count - 1)).squareRoot()
                guard sd > 0 else { throw ExpressionError("scale of a constant (sd 0) is undefined", position: offset + 1) }
                return .numbers(values.map { ($0 - mean) / sd })
            case "substr":
                let text = try texts(arguments[0], at: offset, in: name), starts = try argument(1), lengths = try argument(2)
                return .texts(text.indices.map { row in
                    guard let value = text[row], !starts[row].isNaN, !lengths[row].isNaN else { return nil }
                    let characters = Array(value)
                    let first = max(Int(starts[row]) - 1, 0), last = min(first + max(Int(lengths[row]), 0), characters.count)
                    return first < last ? String(characters[first..<last]) : ""
                })
            case "is_missing":
                switch arguments[0] {
                case let .numbers(values): return .booleans(values.map { $0.isNaN })
                case let .booleans(values): return .booleans(values.map { $0 == nil })
                case let .texts(values): return .booleans(values.map { $0 == nil })
                case .missing: return .booleans([Bool?](repeating: true, count: count))
                }
            case "min", "max":
                return .numbers(zip(try argument(0), try argument(1)).map { a, b in
                    a.isNaN || b.isNaN ? .nan : name == "min" ? Swift.min(a, b) : Swift.max(a, b)
                })
            case "ifelse":
                let condition = try booleans(arguments[0], for: "ifelse's condition", at: offset)
                switch (arguments[1], arguments[2]) {
                case (.texts, _), (_, .texts):
                    let a = try texts(arguments[1], at: offset), b = try texts(arguments[2], at: offset)
                    return .texts(condition.indices.map { row in condition[row].flatMap { $0 ? a[row] : b[row] } })
                case (.booleans, .booleans):
                    let a = try booleans(arguments[1], for: name, at: offset), b = try booleans(arguments[2], for: name, at: offset)
                    return .booleans(condition.indices.map { row in condition[row].flatMap { $0 ? a[row] : b[row] } })
                default:
                    let a = try argument(1), b = try argument(2)
                    return .numbers(condition.indices.map { row in condition[row].map { $0 ? a[row] : b[row] } ?? .nan })
                }
            default: // one_of
                var result = [Bool?](repeating: false, count: count)
                for candidate in arguments.dropFirst() {
                    let equal = try compare("==", arguments[0], candidate, at: offset)
                    for row in result.indices where result[row] == false {
                        result[row] = equal[row] == true ? true : (equal[row] == nil && candidate.isMissingLiteral == false ? nil : false)
                    }
                }
                return .booleans(result)
            }
        }

        func texts(_ value: Vector, at offset: Int, in function: String = "ifelse") throws(ExpressionError) -> [String?] {
            switch value {
            case let .texts(values): return values
            case .missing: return [String?](repeating: nil, count: count)
            default:
                throw ExpressionError(function == "substr" ? "substr takes text, not \(value.typeName); e.g. substr(product, 1, 2)"
                                      : "ifelse mixes text with \(value.typeName); give both branches the same type", position: offset + 1)
            }
        }
    }
}

extension Expression.Vector {
    var isMissingLiteral: Bool { if case .missing = self { true } else { false } }
}

extension Value {
    /// The text of a string value; `nil` for anything else.
    var stringValue: String? { if case let .string(s) = self { s } else { nil } }
}
