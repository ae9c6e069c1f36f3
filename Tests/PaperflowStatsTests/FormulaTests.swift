import PaperflowData
import PaperflowStats
import Testing

/// Formulas in fixest's syntax, and their evaluation against a table.
@Suite("Formulas and model frames")
struct FormulaTests {
    @Test("terms expand and order as R's terms() does", arguments: [
        ("y ~ x1 + x2 + x1:x2 | fe1 + fe2", "y ~ x1 + x2 + x1:x2 | fe1 + fe2"),
        ("y ~ a*b", "y ~ a + b + a:b"),
        ("y ~ a*b*c", "y ~ a + b + c + a:b + a:c + b:c + a:b:c"),
        ("y ~ a:b + a", "y ~ a + a:b"),
        ("y ~ a:b + b:a", "y ~ a:b"),
        ("y ~ (a + b):c", "y ~ a:c + b:c"),
        ("y ~ a*b - a:b", "y ~ a + b"),
        ("y ~ x - 1", "y ~ x + 0"),
        ("y ~ 0 + x", "y ~ x + 0"),
        ("y ~ i(year) + factor(hs2) + x", "y ~ i(year) + factor(hs2) + x"),
        ("export ~ density_firm*density_city + ln_tradevalue | firm + product^year",
         "export ~ density_firm + density_city + ln_tradevalue + density_firm:density_city | firm + product^year"),
        ("y ~ `log gdp` + x.2", "y ~ log gdp + x.2"),
    ])
    func expansion(text: String, expanded: String) throws {
        #expect(try Formula(text).description == expanded)
    }

    @Test("fixed effects and variables are read apart")
    func parts() throws {
        let formula = try Formula("y ~ x*z + i(k) | a + b^c")
        #expect(formula.outcome == "y")
        #expect(formula.hasIntercept)
        #expect(formula.fixedEffects == [["a"], ["b", "c"]])
        #expect(formula.variables == ["y", "x", "z", "k", "a", "b", "c"])
        #expect(formula.terms.map(\.name) == ["x", "z", "i(k)", "x:z"])
        #expect(formula.terms[2].variables == [Formula.Variable("k", factor: "i")])
    }

    @Test("a malformed formula is refused at the column of the fault", arguments: [
        ("~ x", 1, "expected the outcome variable before '~'"),
        ("y x", 3, "expected '~', found 'x'"),
        ("y ~ x +", 8, "expected a variable, i(...), factor(...), a function, '(' or 1/0"),
        ("y ~ lg(x)", 5, "unknown function 'lg'; formulas take i(), factor(), I(), poly(), log(), log1p(), exp(), sqrt(), abs(), l(), f(), d()"),
        ("y ~ (a + b", 11, "expected ')', found the end"),
        ("y ~ x | ", 9, "expected a fixed-effect variable"),
        ("y ~ x ) ", 7, "unexpected ')'"),
        ("y ~ `x", 5, "unclosed '`'"),
        ("y ~ 1:x", 6, "':' joins variables, not an intercept"),
    ])
    func errors(text: String, column: Int, message: String) {
        #expect(throws: FormulaError(message: message, column: column)) { try Formula(text) }
    }

    static let table = try! Table([
        ("y", Column(double: [1, 2, nil, 4, 5, 6])),
        ("x", Column(double: [0.5, 1.5, 2.5, 3.5, .nan, 5.5])),
        ("z", Column(int64: [1, 2, 3, 4, 5, 6])),
        ("k", Column(category: ["b", "a", "b", "c", "a", "c"])),
        ("year", Column(int64: [2003, 2002, 2003, 2002, 2004, 2004])),
    ])

    @Test("rows with a missing or NaN value are dropped and counted; factors keep R's level order")
    func frame() throws {
        let frame = try ModelFrame(try Formula("y ~ x*z + i(k)"), table: Self.table)
        #expect(frame.rows == [0, 1, 3, 5])
        #expect(frame.droppedForMissing == 2)
        #expect(frame.outcome == [1, 2, 4, 6])
        #expect(frame.dense.map(\.name) == ["(Intercept)", "x", "z", "x:z"])
        #expect(frame.dense[3].values == [0.5, 3, 14, 33])
        #expect(frame.factors == [ModelFrame.Factor(name: "i(k)", codes: [1, 0, 2, 2], levels: ["a", "b", "c"])])
        #expect(frame.linearRegressors.map(\.name) == ["(Intercept)", "x", "z", "x:z", "k::b", "k::c"])
        #expect(frame.linearRegressors[4].values == [1, 0, 0, 0])
        let design = frame.binaryDesign
        #expect(design.names == ["(Intercept)", "x", "z", "x:z", "i(k)_b", "i(k)_c"])
    }

    @Test("fixed effects and their combinations become factors; a factor times a number one column per level")
    func fixedEffects() throws {
        let frame = try ModelFrame(try Formula("y ~ factor(year):x | k + k^year"), table: Self.table)
        // x does not enter alone, so every year keeps its slope (before, 2002's was forced to 0).
        #expect(frame.dense.map(\.name) == ["factor(year)2002:x", "factor(year)2003:x", "factor(year)2004:x"])
        #expect(frame.dense[0].values == [0, 1.5, 3.5, 0])
        #expect(frame.dense[1].values == [0.5, 0, 0, 0])
        #expect(frame.fixedEffects.map(\.name) == ["k", "k^year"])
        #expect(frame.fixedEffects[0].codes == [1, 0, 2, 2])
        #expect(frame.fixedEffects[1].levels == ["a_2002", "b_2003", "c_2002", "c_2004"])
        #expect(frame.fixedEffects[1].codes == [1, 0, 2, 3])
    }

    @Test("standardised regressors have mean 0 and standard deviation 1")
    func standardized() throws {
        let frame = try ModelFrame(try Formula("y ~ z"), table: Self.table, standardize: true)
        #expect(frame.rows == [0, 1, 3, 4, 5])
        let z = frame.dense[1].values
        #expect(abs(z.reduce(0, +)) < 1e-12)
        #expect(abs(z.reduce(0) { $0 + $1 * $1 } / 4 - 1) < 1e-12)
    }

    @Test("standardised, an interaction is the product of the standardised variables (R's scale(x) * scale(z)), not itself re-standardised")
    func standardizedInteraction() throws {
        let frame = try ModelFrame(try Formula("y ~ x * z"), table: Self.table, standardize: true)
        let columns = Dictionary(uniqueKeysWithValues: frame.dense.map { ($0.name, $0.values) })
        let x = try #require(columns["x"]), z = try #require(columns["z"]), product = try #require(columns["x:z"])
        #expect(product == zip(x, z).map(*))
        // The product of two standardised columns is not standardised: its mean is their correlation.
        #expect(abs(product.reduce(0, +) / Double(product.count)) > 1e-6)
    }

    @Test("a formula that does not fit the table names the variable", arguments: [
        ("y ~ w", "the formula reads 'w', which is not a column of the table (columns: y, x, z, k, year)"),
        ("y ~ k", "the regressor 'k' is text; a regressor must be numeric — enter it as a factor with i(k)"),
        ("k ~ x", "the outcome 'k' is text; a regressor must be numeric — enter it as a factor with i(k)"),
        ("y ~ i(k):i(year)", "the term 'i(k):i(year)' multiplies two factors; combine them as one fixed effect (a^b) instead"),
    ])
    func frameErrors(text: String, message: String) throws {
        let formula = try Formula(text)
        #expect(throws: ModelFrameError(message: message)) { try ModelFrame(formula, table: Self.table) }
    }

    @Test("a fixed-effect combination with more than 2^63 possible levels is refused, not wrapped around")
    func combinationOverflow() throws {
        // Four variables with 65,536 levels each: 2^64 possible combinations.
        let ids = (0..<65_536).map { Int64($0) }
        let table = try Table([("y", Column(double: ids.map { Double($0) })), ("a", Column(int64: ids)), ("b", Column(int64: ids)),
                               ("c", Column(int64: ids)), ("d", Column(int64: ids))])
        #expect(throws: ModelFrameError(message: "the combination a^b^c^d has more possible levels than 2^63; combine fewer variables")) {
            try ModelFrame(try Formula("y ~ 1 | a^b^c^d"), table: table)
        }
        #expect(try ModelFrame(try Formula("y ~ 1 | a^b"), table: table).fixedEffects[0].levels.count == 65_536)
    }
}
