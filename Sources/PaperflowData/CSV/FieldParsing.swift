/// Parsing of field bytes into typed values, without making Strings.
enum FieldParsing {
    /// A decimal integer: optional sign, digits. With `allowLeadingZeros` false, "007" is not an
    /// integer (it is a code and must stay text), but "0" and "-0" are.
    @inline(__always)
    static func int64(_ field: UnsafeRawBufferPointer, allowLeadingZeros: Bool) -> Int64? {
        var index = 0
        let count = field.count
        guard count > 0 else { return nil }
        var negative = false
        if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") {
            negative = field[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < count, count - index <= 19 else { return nil }
        if !allowLeadingZeros, field[index] == UInt8(ascii: "0"), count - index > 1 { return nil }
        var value: Int64 = 0
        while index < count {
            let digit = Int64(field[index]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(negative ? -digit : digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// 10^0 ... 10^22, every one exact in a Double (a literal, so no lazy initialisation).
    private static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// A decimal number. Plain decimals (`-12.345`) whose digits form an integer up to 2^53 take
    /// an exact fast path (an integer mantissa and a power of ten, both exact in a Double, give a
    /// correctly rounded quotient); everything else goes through Swift's correctly rounded parser.
    @inline(__always)
    static func double(_ field: UnsafeRawBufferPointer) -> Double? {
        let count = field.count
        guard count > 0 else { return nil }
        var index = 0
        let negative = field[0] == UInt8(ascii: "-")
        if negative || field[0] == UInt8(ascii: "+") { index = 1 }
        let digitsStart = index
        var mantissa: UInt64 = 0
        while index < count, field[index] &- 48 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(field[index] &- 48)
            index += 1
        }
        let integerDigits = index - digitsStart
        var fractionDigits = 0
        if index < count, field[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count, field[index] &- 48 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(field[index] &- 48)
                index += 1
            }
            fractionDigits = index - fractionStart
        }
        // Up to 19 digits cannot overflow the mantissa; up to 2^53 it is exact in a Double.
        if index == count, integerDigits + fractionDigits > 0, integerDigits + fractionDigits <= 19,
           mantissa <= 1 << 53, fractionDigits <= 22 {
            let value = Double(mantissa) / exactPowers[fractionDigits]
            return negative ? -value : value
        }
        return slowDouble(field)
    }

    /// Exponents, long mantissas, inf/nan words: Swift's parser (it rejects what is not a number).
    @inline(never)
    private static func slowDouble(_ field: UnsafeRawBufferPointer) -> Double? {
        let text = String(decoding: field, as: UTF8.self)
        guard let value = Double(text) else { return nil }
        // Swift accepts "inf", "nan", "0x1p3"; CSV numbers are decimal.
        if value.isNaN || value.isInfinite || text.contains(where: { $0 == "x" || $0 == "X" }) { return nil }
        return value
    }

    /// Whether a number-looking field starts with a zero that makes it a code: "007.5" and
    /// "010110" are codes, "0.5" and "0" are numbers.
    static func hasLeadingZero(_ field: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        if field.count > 0, field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") { index = 1 }
        return field.count > index + 1 && field[index] == UInt8(ascii: "0") && field[index + 1] != UInt8(ascii: ".")
            && field[index + 1] != UInt8(ascii: "e") && field[index + 1] != UInt8(ascii: "E")
    }

    /// `true`/`false` in lower, upper or title case.
    static func bool(_ field: UnsafeRawBufferPointer) -> Bool? {
        switch field.count {
        case 4:
            let word = String(decoding: field, as: UTF8.self)
            return word == "true" || word == "TRUE" || word == "True" ? true : nil
        case 5:
            let word = String(decoding: field, as: UTF8.self)
            return word == "false" || word == "FALSE" || word == "False" ? false : nil
        default:
            return nil
        }
    }
}

/// The unquoted field values that mean "missing", compared as bytes. Most fields are longer
/// than the longest token and need no comparison at all.
struct MissingTokens {
    private let tokens: [[UInt8]]
    private let longest: Int

    init(_ tokens: Set<String>) {
        self.tokens = tokens.map { Array($0.utf8) }
        longest = self.tokens.map(\.count).max() ?? -1
    }

    @inline(__always)
    func contains(_ field: UnsafeRawBufferPointer) -> Bool {
        guard field.count <= longest else { return false }
        for token in tokens where token.count == field.count {
            var index = 0
            while index < field.count, field[index] == token[index] { index += 1 }
            if index == field.count { return true }
        }
        return false
    }
}
