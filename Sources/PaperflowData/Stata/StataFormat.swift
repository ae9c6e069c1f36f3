import Foundation

/// What the Stata .dta formats have in common, from StataCorp's "Description of .dta files"
/// (`help dta`, formats 113–119): storage types, the missing-value codes . and .a–.z of each
/// numeric type, and the display formats that make a number a date.
public enum StataType: Sendable, Hashable, CustomStringConvertible {
    case byte, int, long, float, double
    /// A fixed-width string of 1–2045 bytes.
    case str(Int)
    /// A long string stored once in the file's strL section.
    case strL

    /// The bytes a value takes in a data row.
    var width: Int {
        switch self {
        case .byte: return 1
        case .int: return 2
        case .long, .float: return 4
        case .double, .strL: return 8
        case let .str(n): return n
        }
    }

    public var description: String {
        switch self {
        case .byte: return "byte"
        case .int: return "int"
        case .long: return "long"
        case .float: return "float"
        case .double: return "double"
        case let .str(n): return "str\(n)"
        case .strL: return "strL"
        }
    }

    /// Formats 117–119's type codes.
    init?(code: Int) {
        switch code {
        case 1...2045: self = .str(code)
        case 32768: self = .strL
        case 65526: self = .double
        case 65527: self = .float
        case 65528: self = .long
        case 65529: self = .int
        case 65530: self = .byte
        default: return nil
        }
    }

    var code: Int {
        switch self {
        case let .str(n): return n
        case .strL: return 32768
        case .double: return 65526
        case .float: return 65527
        case .long: return 65528
        case .int: return 65529
        case .byte: return 65530
        }
    }

    /// Formats 113–115's type codes.
    init?(oldCode: Int) {
        switch oldCode {
        case 1...244: self = .str(oldCode)
        case 251: self = .byte
        case 252: self = .int
        case 253: self = .long
        case 254: self = .float
        case 255: self = .double
        default: return nil
        }
    }
}

/// Stata's missing values: `.` and the extended `.a`–`.z`, each above the type's largest valid
/// value.
enum StataMissing {
    static let byteBase: Int64 = 101, intBase: Int64 = 32741, longBase: Int64 = 2_147_483_621
    static let floatBase: UInt32 = 0x7F00_0000, doubleBase: UInt64 = 0x7FE0_0000_0000_0000

    /// The code of an integer type's missing value (0 for `.`, 1–26 for `.a`–`.z`), or nil for a value.
    static func code(_ value: Int64, base: Int64) -> Int? { value >= base ? Int(min(value - base, 26)) : nil }

    static func code(floatBits bits: UInt32) -> Int? {
        bits & 0x7FFF_FFFF >= floatBase && bits >> 31 == 0 ? Int(min((bits - floatBase) >> 11, 26)) : nil
    }

    static func code(doubleBits bits: UInt64) -> Int? {
        bits >= doubleBase && bits >> 63 == 0 ? Int(min((bits - doubleBase) >> 40, 26)) : nil
    }

    /// `.`, `.a`, …, `.z`.
    static func name(_ code: Int) -> String { code == 0 ? "." : "." + String(UnicodeScalar(UInt8(96 + code))) }
}

/// A Stata date or datetime value as ISO 8601 text: `%td` counts days and `%tc`/`%tC` counts
/// milliseconds from 1 January 1960.
enum StataDates {
    static let epoch: Int64 = -3653 // 1960-01-01 in days from 1970-01-01

    static func isDaily(_ format: String) -> Bool { format.hasPrefix("%td") || format.hasPrefix("%d") }
    static func isClock(_ format: String) -> Bool { format.hasPrefix("%tc") || format.hasPrefix("%tC") }

    /// Days since 1960-01-01 as `yyyy-mm-dd` (proleptic Gregorian).
    static func day(_ days: Int64) -> String {
        CivilCalendar.isoDate(days + epoch)
    }

    /// Milliseconds since 1960-01-01 00:00 as `yyyy-mm-ddThh:mm:ss.sss`.
    static func clock(_ milliseconds: Int64) -> String {
        let days = Int64((Double(milliseconds) / 86_400_000).rounded(.down))
        let rest = milliseconds - days * 86_400_000
        return day(days) + String(format: "T%02lld:%02lld:%02lld.%03lld", rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000)
    }
}
