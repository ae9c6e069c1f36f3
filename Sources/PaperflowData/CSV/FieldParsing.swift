#if canImport(Glibc)
import Glibc

/// Whether `strtod` reads '.' as the decimal point: the process is in the C locale unless
/// something called `setlocale`, which Paperflow never does; if it was, Swift's parser is used.
private let strtodReadsDecimalPoint: Bool = localeconv().pointee.decimal_point.pointee == CChar(UInt8(ascii: "."))
#endif

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
        if index == count, integerDigits + fractionDigits > 0, integerDigits + fractionDigits <= 19, fractionDigits <= 22 {
            let value = mantissa <= 1 << 53 ? Double(mantissa) / exactPowers[fractionDigits] : quotient(mantissa, fractionDigits)
            return negative ? -value : value
        }
        return slowDouble(field)
    }

    /// 5^0 ... 5^22, exact in 64 bits.
    private static let powersOfFive: [UInt64] = (0...22).map { (0..<$0).reduce(UInt64(1)) { power, _ in power * 5 } }

    /// m / 10^f correctly rounded, for the 17-digit mantissas (above 2^53) that shortest
    /// round-trip output gives: m / 10^f = (m / 5^f) · 2^−f, and the integer division
    /// m·2^s / 5^f, scaled so its quotient fills 64 bits, leaves 11 bits and a remainder from which
    /// to round half to even.
    private static func quotient(_ mantissa: UInt64, _ fractionDigits: Int) -> Double {
        let divisor = powersOfFive[fractionDigits]
        // The quotient's bit length is that of m·2^s less that of 5^f, give or take one.
        var shift = 64 + (64 - divisor.leadingZeroBitCount) - (64 - mantissa.leadingZeroBitCount) - 1
        func divide(_ shift: Int) -> (UInt64, UInt64)? {
            let high = shift == 0 ? 0 : mantissa >> (64 - shift), low = mantissa << shift
            guard high < divisor else { return nil }
            return divisor.dividingFullWidth((high, low))
        }
        var result = divide(shift)
        if result == nil || result!.0 < 1 << 63 {
            // One bit too many or too few.
            let other = result == nil ? shift - 1 : shift + 1
            if let second = divide(other), second.0 >= 1 << 63 { (shift, result) = (other, second) }
        }
        let (quotient, remainder) = result!
        var significand = quotient >> 11
        let rest = quotient & 0x7FF
        if rest > 0x400 || (rest == 0x400 && (remainder != 0 || significand & 1 == 1)) { significand += 1 }
        return Double(sign: .plus, exponent: 11 - shift - fractionDigits, significand: Double(significand))
    }

    /// Exponents, long mantissas (shortest round-trip output, as pandas and numpy write, has 17
    /// digits), inf/nan words: the C library's correctly rounded `strtod` (in the C locale),
    /// called on a copy on the stack — a String per field made this path six times slower.
    @inline(never)
    /// Whether `field` is written as a decimal number (digits, a point, an exponent) whose
    /// magnitude no Double holds: read as one it would be infinity, so it is an error rather
    /// than a reason to read its column as text.
    static func isOutOfRangeNumber(_ field: UnsafeRawBufferPointer) -> Bool {
        guard field.count > 0, field.count < 400, field.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) || field.count > 308,
              field.allSatisfy({ ($0 &- 48) < 10 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
                                   || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }),
              let value = Double(String(decoding: field, as: UTF8.self)) else { return false }
        return value.isInfinite
    }

    private static func slowDouble(_ field: UnsafeRawBufferPointer) -> Double? {
        #if canImport(Glibc)
        let first = field[0]
        guard strtodReadsDecimalPoint, field.count < 64, first != UInt8(ascii: " "), first != UInt8(ascii: "\t"), first != UInt8(ascii: "\n"),
              first != UInt8(ascii: "\r"), first != 0x0B, first != 0x0C else { return stringDouble(field) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
            let base = buffer.baseAddress!
            for index in 0..<field.count {
                let byte = field[index]
                // A NUL, hex or inf/nan field is not a CSV number; strtod would read part of it.
                if byte == 0 || byte == UInt8(ascii: "x") || byte == UInt8(ascii: "X") { return nil }
                base[index] = CChar(bitPattern: byte)
            }
            base[field.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(base, &end)
            guard end == base + field.count, value.isFinite else { return nil }
            return value
        }
        #else
        return stringDouble(field)
        #endif
    }

    /// Swift's own parser, for fields too long for the stack copy.
    private static func stringDouble(_ field: UnsafeRawBufferPointer) -> Double? {
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
