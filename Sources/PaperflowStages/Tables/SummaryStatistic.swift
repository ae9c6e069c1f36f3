import Foundation
import PaperflowCore
import PaperflowData

/// A statistic of one variable over a set of rows, as the descriptive and cross tables print them.
/// Conventions follow R and Stata: sd with n − 1, quantiles of type 7 (R's default).
enum SummaryStatistic: String, CaseIterable {
    /// Rows in the cell.
    case n
    /// Rows where the variable is present.
    case responses
    /// Rows where the variable is true (a Bool, or a number ≠ 0).
    case count
    /// 100 × the share of present rows where the variable is true.
    case percent
    case mean, sd, min, p25, median, p75, max, sum
    /// Rows with the variable missing.
    case missing

    static let labels: [SummaryStatistic: String] = [
        .n: "N", .responses: "Responses", .count: "Count", .percent: "%", .mean: "Mean", .sd: "SD", .min: "Min",
        .p25: "P25", .median: "Median", .p75: "P75", .max: "Max", .sum: "Sum", .missing: "Missing",
    ]

    /// Whether the value is a count (printed without decimals).
    var isCount: Bool { [.n, .responses, .count, .missing].contains(self) }

    /// The statistic of `values` (NaN = missing) over `rows`; nil when undefined (no values, or
    /// an sd of one value).
    func compute(_ values: [Double], rows: [Int]) -> Double? {
        let present = rows.map { values[$0] }.filter { !$0.isNaN }
        switch self {
        case .n: return Double(rows.count)
        case .responses: return Double(present.count)
        case .missing: return Double(rows.count - present.count)
        case .count: return Double(present.count { $0 != 0 })
        default: break
        }
        guard !present.isEmpty else { return nil }
        let count = Double(present.count)
        switch self {
        case .percent: return 100 * Double(present.count { $0 != 0 }) / count
        case .mean: return present.reduce(0, +) / count
        case .sum: return present.reduce(0, +)
        case .sd:
            guard present.count > 1 else { return nil }
            let mean = present.reduce(0, +) / count
            return (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot()
        case .min: return present.min()
        case .max: return present.max()
        default:
            let probability: Double = self == .p25 ? 0.25 : self == .median ? 0.5 : 0.75
            return Quantiles.type7(sorted: present.sorted(), probability)
        }
    }

    /// The printed cell: counts as integers with thousands separators, other values to `digits`.
    static func format(_ value: Double?, isCount: Bool, digits: Int) -> String {
        guard let value else { return "" }
        if isCount { return Int64(value).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX"))) }
        return String(format: "%.\(digits)f", value)
    }
}

extension Table {
    /// The distinct values of `name` in order of first appearance (the data's own order, as a
    /// survey's regions are listed), missing left out; with each row's position in that list.
    func groups(_ name: String, for parameter: String) throws -> (levels: [String], rows: [[Int]]) {
        let column = try column(name, for: parameter)
        var index: [Value: Int] = [:], levels: [String] = [], rows: [[Int]] = []
        for row in 0..<rowCount where !column.isMissing(row) {
            let value = column[row]
            if let position = index[value] {
                rows[position].append(row)
            } else {
                index[value] = levels.count
                levels.append(value.description)
                rows.append([row])
            }
        }
        return (levels, rows)
    }
}
