/// A Wald test of linear restrictions on a fit's coefficients, written as Stata's `test` and
/// fixest's `wald()` take them: `b[x1] = b[x2]`, `b[x1] = 0, b[x2] = 0` (joint), `2*b[x1] - b[x3]
/// = 1`. With R β = r the q restrictions, W = (Rβ − r)' (R V R')⁻¹ (Rβ − r); a linear model
/// reports F = W / q against F(q, df) with the t tests' degrees of freedom (N − K − rank(FE), or
/// G − 1 when clustered, as fixest), a probit, logit or Poisson χ² = W against χ²(q) —
/// statsmodels' `wald_test` with `use_f` true and false (tested).
public struct WaldTest: Sendable, Equatable {
    /// The restrictions as written.
    public let restriction: String
    /// F (with `denominatorDegrees`) or χ² (without).
    public let statistic: Double
    public let restrictions: Int
    public let denominatorDegrees: Double?
    public let pValue: Double

    /// Tests `text` on `coefficients` (named `names`) with covariance `covariance`; `degrees`
    /// as the fit's t tests have them (nil: a z/χ² fit).
    /// - Throws: `WaldTestError` naming the position in `text` of what it cannot read, a name the
    ///   fit lacks, or restrictions that are linearly dependent.
    public init(_ text: String, names: [String], coefficients: [Double], covariance: Matrix, degrees: Double?) throws(WaldTestError) {
        restriction = text
        var parser = RestrictionParser(characters: Array(text), names: names)
        let (rows, right) = try parser.restrictions()
        let q = rows.count
        var difference = [Double](repeating: 0, count: q)
        for i in 0..<q { difference[i] = zip(rows[i], coefficients).reduce(0) { $0 + $1.0 * $1.1 } - right[i] }
        // R V R'
        var middle = Matrix(rows: q, columns: q)
        for i in 0..<q {
            for j in 0..<q {
                var sum = 0.0
                for a in names.indices where rows[i][a] != 0 {
                    for b in names.indices where rows[j][b] != 0 { sum += rows[i][a] * covariance[a, b] * rows[j][b] }
                }
                middle[i, j] = sum
            }
        }
        let factor = Cholesky(middle, tolerance: 1e-12)
        guard factor.dropped.isEmpty else {
            throw WaldTestError(message: "the restrictions in '\(text)' repeat one another (or test a coefficient with no variance); state each once", position: 1)
        }
        let solved = factor.solve(difference)
        let wald = zip(difference, solved).reduce(0) { $0 + $1.0 * $1.1 }
        restrictions = q
        denominatorDegrees = degrees
        if let degrees {
            statistic = wald / Double(q)
            pValue = Distribution.fUpperTail(statistic, numerator: Double(q), denominator: degrees)
        } else {
            statistic = wald
            pValue = Distribution.chiSquareUpperTail(wald, degrees: Double(q))
        }
    }
}

/// A restriction that cannot be read or tested, with the 1-based character position.
public struct WaldTestError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int
    public var description: String { "character \(position): \(message)" }

    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }
}

/// restrictions := restriction (',' restriction)*; restriction := sum '=' sum;
/// sum := ['-'] term (('+' | '-') term)*; term := [number '*'] 'b[' name ']' | number.
private struct RestrictionParser: CharacterScanning {
    let characters: [Character]
    let names: [String]
    var position = 0

    mutating func restrictions() throws(WaldTestError) -> (rows: [[Double]], right: [Double]) {
        var rows: [[Double]] = [], right: [Double] = []
        repeat {
            let (leftRow, leftConstant) = try sum()
            try expect("=")
            let (rightRow, rightConstant) = try sum()
            // left − right = 0: R β = r with R = left − right's weights, r = right's − left's constants.
            rows.append(zip(leftRow, rightRow).map(-))
            right.append(rightConstant - leftConstant)
            guard rows.last!.contains(where: { $0 != 0 }) else { throw failure("this restriction names no coefficient") }
        } while take(",")
        skipSpaces()
        guard position == characters.count else { throw failure("unexpected '\(characters[position])'; separate restrictions with ','") }
        return (rows, right)
    }

    private mutating func sum() throws(WaldTestError) -> (row: [Double], constant: Double) {
        var row = [Double](repeating: 0, count: names.count), constant = 0.0
        var sign = take("-") ? -1.0 : 1.0
        while true {
            let multiplier = number()
            if let multiplier, !peekCoefficient() {
                constant += sign * multiplier
            } else {
                if multiplier != nil { try expect("*") }
                let index = try coefficient()
                row[index] += sign * (multiplier ?? 1)
            }
            if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return (row, constant) }
        }
    }

    /// `b[name]`: the index of the named coefficient.
    private mutating func coefficient() throws(WaldTestError) -> Int {
        skipSpaces()
        guard position + 1 < characters.count, characters[position] == "b", characters[position + 1] == "[" else {
            throw failure("expected b[name], a coefficient, e.g. b[x1]")
        }
        let start = position
        position += 2
        var name = ""
        while position < characters.count, characters[position] != "]" {
            name.append(characters[position])
            position += 1
        }
        guard position < characters.count else {
            position = start
            throw failure("b[ is not closed")
        }
        position += 1
        guard let index = names.firstIndex(of: name) else {
            position = start
            throw failure("the fit has no coefficient '\(name)' (it has \(names.joined(separator: ", ")))")
        }
        return index
    }

    private mutating func number() -> Double? {
        skipSpaces()
        let start = position
        while position < characters.count, characters[position].isNumber || characters[position] == "." { position += 1 }
        guard position > start, let value = Double(String(characters[start..<position])) else {
            position = start
            return nil
        }
        return value
    }

    /// Whether a coefficient follows (after an optional '*').
    private mutating func peekCoefficient() -> Bool {
        let saved = position
        defer { position = saved }
        _ = take("*")
        skipSpaces()
        return position + 1 < characters.count && characters[position] == "b" && characters[position + 1] == "["
    }

    private mutating func expect(_ symbol: Character) throws(WaldTestError) {
        guard take(symbol) else { throw failure("expected '\(symbol)'") }
    }

    private func failure(_ message: String) -> WaldTestError {
        WaldTestError(message: message, position: position + 1)
    }
}
