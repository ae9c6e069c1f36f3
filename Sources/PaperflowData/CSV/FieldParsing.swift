/// Parsing of field bytes into typed values, without making Strings.
enum FieldParsing {
    /// A decimal integer: optional sign, digits. With `allowLeadingZeros` false, "007" is not an
    /// integer (it is a code and must stay text), but "0" and "-0" are.
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

    private static let exactPowers: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// A decimal number. Plain decimals with up to 15 significant digits take an exact fast path
    /// (an integer mantissa and a power of ten, both exact in a Double, give a correctly rounded
    /// quotient); everything else goes through Swift's correctly rounded parser.
    static func double(_ field: UnsafeRawBufferPointer) -> Double? {
        let count = field.count
        guard count > 0 else { return nil }
        var index = 0
        var negative = false
        if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") {
            negative = field[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawDot = false
        var simple = true
        while index < count {
            let byte = field[index]
            if byte >= 48, byte <= 57 {
                sawDigit = true
                if significantDigits < 19 { mantissa = mantissa &* 10 &+ UInt64(byte - 48) }
                if mantissa > 0 { significantDigits += 1 }
                if sawDot { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawDot {
                sawDot = true
            } else {
                simple = false
                break
            }
            index += 1
        }
        if simple {
            guard sawDigit else { return nil }
            if significantDigits <= 15, fractionDigits <= 22 {
                let value = Double(mantissa) / exactPowers[fractionDigits]
                return negative ? -value : value
            }
        }
        // Exponents, long mantissas, inf/nan words: Swift's parser (it rejects what is not a number).
        let text = String(decoding: field, as: UTF8.self)
        guard let value = Double(text) else { return nil }
        // Swift accepts "inf", "nan", "0x1p3"; CSV numbers are decimal.
        if value.isNaN || value.isInfinite || text.contains(where: { $0 == "x" || $0 == "X" }) { return nil }
        return value
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
