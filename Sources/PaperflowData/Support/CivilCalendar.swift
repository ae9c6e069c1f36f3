import Foundation

/// The proleptic Gregorian calendar on counts from 1970-01-01, for readers whose files store
/// dates and times as numbers (Stata's days and milliseconds from 1960, Parquet's from 1970).
enum CivilCalendar {
    /// Year, month, day of a count of days from 1970-01-01 (Hinnant's civil_from_days).
    static func date(_ z: Int64) -> (Int64, Int64, Int64) {
        let shifted = z + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let doe = shifted - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `yyyy-mm-dd` of a count of days from 1970-01-01.
    static func isoDate(_ days: Int64) -> String {
        let (y, m, d) = date(days)
        return String(format: "%04lld-%02lld-%02lld", y, m, d)
    }

    /// `hh:mm:ss`, with as many fractional digits as the unit has (3, 6 or 9) when they are not
    /// all zero: a time of day counted in `unitsPerSecond`.
    static func isoTime(_ units: Int64, unitsPerSecond: Int64) -> String {
        let seconds = units / unitsPerSecond, fraction = units % unitsPerSecond
        var text = String(format: "%02lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60, seconds % 60)
        if fraction != 0 {
            let digits = unitsPerSecond == 1000 ? 3 : unitsPerSecond == 1_000_000 ? 6 : 9
            text += String(format: ".%0*lld", digits, fraction)
        }
        return text
    }

    /// `yyyy-mm-ddThh:mm:ss[.fff…]` of a count of `unitsPerSecond` units from 1970-01-01 00:00.
    static func isoTimestamp(_ units: Int64, unitsPerSecond: Int64) -> String {
        let perDay = 86_400 * unitsPerSecond
        var days = units / perDay, rest = units % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        return isoDate(days) + "T" + isoTime(rest, unitsPerSecond: unitsPerSecond)
    }
}
