import Foundation
import PaperflowData
import Testing

@Suite("Expressions")
struct ExpressionTests {
    /// Firms with a missing value in each of value, region and exporter.
    static func firms() throws -> Table {
        try Table([
            ("region", Column(category: ["East", "West", "East", nil, "Central"])),
            ("year", Column(int64: [2002, 2005, 2008, 2008, 2010])),
            ("value", Column(double: [1, 10, nil, 100, 0.5])),
            ("exporter", Column(bool: [true, false, true, nil, false])),
        ])
    }

    @Test("arithmetic, precedence and functions, row by row, with missing values propagating")
    func arithmetic() throws {
        let table = try Self.firms()
        func numbers(_ text: String) throws -> [Value] { try Expression(text).evaluate(on: table).values }
        #expect(try numbers("1 + 2 * 3 ^ 2") == Array(repeating: .double(19), count: 5))
        #expect(try numbers("-2 ^ 2") == Array(repeating: .double(-4), count: 5))
        #expect(try numbers("2 ^ 3 ^ 2") == Array(repeating: .double(512), count: 5))
        #expect(try numbers("(year - 2000) / 2") == [.double(1), .double(2.5), .double(4), .double(4), .double(5)])
        #expect(try numbers("log(value)") == [.double(0), .double(log(10)), .missing, .double(log(100)), .double(log(0.5))])
        #expect(try numbers("value / (year - 2005)") == [.double(-1.0 / 3), .missing, .missing, .double(100.0 / 3), .double(0.1)])
        #expect(try numbers("round(value * 1.25, 1)") == [.double(1.3), .double(12.5), .missing, .double(125), .double(0.6)])
        #expect(try numbers("exporter * 2") == [.double(2), .double(0), .double(2), .missing, .double(0)])
        #expect(try numbers("max(value, 5)") == [.double(5), .double(10), .missing, .double(100), .double(5)])
        // scale uses the sd with n − 1 over the rows present, as R's scale().
        let scaled = try Expression("scale(year)").evaluate(on: table).numericValues()!
        let years = [2002.0, 2005, 2008, 2008, 2010], mean = years.reduce(0, +) / 5
        let sd = (years.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
        for (got, year) in zip(scaled, years) { #expect(abs(got - (year - mean) / sd) < 1e-15) }
        #expect(try numbers("ifelse(value > 5, 1, 0)") == [.double(0), .double(1), .missing, .double(1), .double(0)])
        #expect(try Expression("ifelse(year >= 2008, \"late\", \"early\")").evaluate(on: table).values
            == [.string("early"), .string("early"), .string("late"), .string("late"), .string("late")])
        #expect(try Expression("`value` + 1").columns == ["value"])
    }

    @Test("conditions select rows as R's subset does: missing is not a match; FALSE & NA is FALSE")
    func conditions() throws {
        let table = try Self.firms()
        func rows(_ text: String) throws -> [Int] { try Expression(text).rows(where: table) }
        #expect(try rows("region == \"East\"") == [0, 2])
        #expect(try rows("region != 'East'") == [1, 4])
        #expect(try rows("value > 1 & year < 2009") == [1, 3])
        #expect(try rows("value > 50 or region == \"West\"") == [1, 3])
        #expect(try rows("!exporter") == [1, 4])
        #expect(try rows("not (year >= 2005 and year <= 2008)") == [0, 4])
        #expect(try rows("exporter & value > 0.75") == [0])
        #expect(try rows("is_missing(value) | is_missing(region)") == [2, 3])
        #expect(try rows("one_of(region, \"West\", \"Central\")") == [1, 4])
        #expect(try rows("one_of(year, 2002, 2010)") == [0, 4])
        #expect(try Expression("value > 1 & exporter").evaluate(on: table).values == [.bool(false), .bool(false), .missing, .missing, .bool(false)])
    }

    @Test("errors name the character position or the row and say what to write instead")
    func errors() throws {
        let table = try Self.firms()
        func parseError(_ text: String) -> ExpressionError? {
            do { _ = try Expression(text); return nil } catch { return error }
        }
        func evaluationError(_ text: String) -> ExpressionError? {
            do { _ = try Expression(text).evaluate(on: table); return nil } catch { return error }
        }
        #expect(parseError("year = 2005") == ExpressionError("'=' is assignment; compare with '=='", position: 6))
        #expect(parseError("log(value") == ExpressionError("expected ',' or ')' in the call of log", position: 10))
        #expect(parseError("(year + 1") == ExpressionError("expected ')' to close the '(' at character 1", position: 10))
        #expect(parseError("region == \"East") == ExpressionError("the string is not closed; add \"", position: 11))
        #expect(parseError("lg(value)")?.position == 1)
        #expect(parseError("lg(value)")?.message.hasPrefix("unknown function 'lg'; available: abs, cumsum, d, exp, f, ifelse") == true)
        #expect(parseError("log(value, 2)") == ExpressionError("log takes 1 argument(s), not 2: natural logarithm; an error on a value ≤ 0 (use log1p, or ifelse)", position: 1))
        #expect(parseError("year 2005") == ExpressionError("unexpected number 2005.0; an operator or the end was expected", position: 6))
        #expect(parseError("") == ExpressionError("the expression is empty", position: 1))
        #expect(evaluationError("log(value - 1)") == ExpressionError("log of 0.0 is undefined; use log1p(x), or ifelse(x > 0, log(x), NA)", position: 1, row: 1))
        #expect(evaluationError("year + town") == ExpressionError("no column 'town'; the table has region, year, value, exporter", position: 8))
        #expect(evaluationError("region == East")?.position == 11)
        #expect(evaluationError("region > 3") == ExpressionError("> compares text with a number; quote the value, e.g. region == \"East\"", position: 8))
        #expect(evaluationError("region + 1") == ExpressionError("+ needs numbers, but its operand is text; compare text with == and a quoted string", position: 8))
        #expect(throws: ExpressionError("'year + 1' is not a condition; write a comparison such as year >= 2005 or region == \"East\"")) {
            try Expression("year + 1").rows(where: table)
        }
    }
}
