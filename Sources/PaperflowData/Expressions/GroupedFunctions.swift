/// The rows of a table in groups (data.derive's `by:`) along a time column (`order:`), for the
/// expression functions that look across rows: the panel operators l(), f() and d() — the same
/// as a model formula's, by time value within the group, so a gap gives a missing value, not the
/// previous row's — and the group summaries mean(), sum(), rank() and cumsum(). Without groups
/// the whole table is one group; without an order, cumsum() runs in row order and the panel
/// operators are refused.
public struct ExpressionGroups: Sendable {
    /// Each row's group (−1 where a `by` column is missing: every result there is missing); nil
    /// when every row is in group 0 (no `by`), so that no array is made for it.
    let codes: [Int]?
    let rows: Int
    let count: Int
    /// Each row's time value and the column it comes from.
    let time: [Double]?
    let order: String?

    /// The one group of every row, in row order.
    public static func whole(_ rows: Int) -> ExpressionGroups {
        ExpressionGroups(codes: nil, rows: rows, count: rows == 0 ? 0 : 1, time: nil, order: nil)
    }

    init(codes: [Int]?, rows: Int, count: Int, time: [Double]?, order: String?) {
        self.codes = codes
        self.rows = rows
        self.count = count
        self.time = time
        self.order = order
    }

    /// Row `row`'s group.
    @inline(__always)
    func group(_ row: Int) -> Int { codes?[row] ?? 0 }

    /// Groups by the `by` columns' combined values, ordered by the `order` column (numeric).
    /// - Throws: `ExpressionError` naming a column the table lacks or a text order column.
    public init(table: Table, by: [String], order: String?) throws(ExpressionError) {
        var codes = [Int](repeating: 0, count: table.rowCount)
        var keys: [[Int32]: Int] = [:]
        let columns = try by.map { (name) throws(ExpressionError) -> [Int32] in
            guard let column = table[name] else { throw ExpressionError("by names '\(name)', which is not a column; the table has \(table.names.joined(separator: ", "))") }
            return column.levelCodes().codes
        }
        for row in 0..<table.rowCount {
            let key = columns.map { $0[row] }
            if key.contains(where: { $0 < 0 }) { codes[row] = -1; continue }
            if let code = keys[key] { codes[row] = code } else {
                codes[row] = keys.count
                keys[key] = keys.count
            }
        }
        var time: [Double]?
        if let order {
            guard let column = table[order], let values = column.numericValues() else {
                throw ExpressionError("order names '\(order)', which must be a numeric column (a year, a month count); the table has \(table.names.joined(separator: ", "))")
            }
            time = values
        }
        self.init(codes: by.isEmpty ? nil : codes, rows: table.rowCount, count: by.isEmpty ? (table.rowCount == 0 ? 0 : 1) : keys.count, time: time, order: order)
    }

    /// The row of the same group `periods` time units before each row (nil: none, a gap).
    func shifted(by periods: Double, function: String, at offset: Int) throws(ExpressionError) -> [Int?] {
        guard let time, let order else {
            throw ExpressionError("\(function)() looks along data.derive's order: (the time column), which is not given; add order: year (and by: the unit)", position: offset + 1)
        }
        struct Key: Hashable { var group: Int; var time: Double }
        var byKey: [Key: Int] = [:]
        for row in 0..<rows where group(row) >= 0 && !time[row].isNaN {
            let key = Key(group: group(row), time: time[row])
            if let other = byKey[key] {
                throw ExpressionError("\(function)() needs one row per group and \(order), but rows \(other + 1) and \(row + 1) share \(order) \(time[row] == time[row].rounded() ? String(Int64(time[row])) : String(time[row])) in one group; add the unit to by:",
                                      position: offset + 1)
            }
            byKey[key] = row
        }
        return (0..<rows).map { row in
            guard group(row) >= 0, !time[row].isNaN else { return nil }
            return byKey[Key(group: group(row), time: time[row] - periods)]
        }
    }

    /// Each group's rows, in time order (row order without one, or for equal times).
    func members() -> [[Int]] {
        var members = [[Int]](repeating: [], count: count)
        for row in 0..<rows where group(row) >= 0 { members[group(row)].append(row) }
        guard let time else { return members }
        // A row without a time sorts last (NaN would break the order's consistency).
        func key(_ row: Int) -> Double { time[row].isNaN ? .infinity : time[row] }
        return members.map { rows in rows.enumerated().sorted { (key($0.element), $0.offset) < (key($1.element), $1.offset) }.map(\.element) }
    }
}

extension Expression.Evaluator {
    /// l(), f(), d(), mean(), sum(), rank(), cumsum() within `groups`.
    func grouped(_ name: String, _ arguments: [Expression.Vector], at offset: Int) throws(ExpressionError) -> Expression.Vector {
        let values = try numbers(arguments[0], for: name, at: offset)
        switch name {
        case "l", "f", "d":
            var periods = 1.0
            if arguments.count == 2 {
                let given = try numbers(arguments[1], for: name, at: offset)
                guard let first = given.first, given.allSatisfy({ $0 == first }), first == first.rounded(), first >= 0 else {
                    throw ExpressionError("\(name)(x, k) takes a whole number of periods k ≥ 0, e.g. \(name)(density, 1)", position: offset + 1)
                }
                periods = first
            }
            let source = try groups.shifted(by: name == "f" ? -periods : periods, function: name, at: offset)
            return .numbers(values.indices.map { row in
                guard let other = source[row] else { return .nan }
                return name == "d" ? values[row] - values[other] : values[other]
            })
        case "mean", "sum":
            var totals = [Double](repeating: 0, count: groups.count), counts = totals
            for row in values.indices where groups.group(row) >= 0 && !values[row].isNaN {
                totals[groups.group(row)] += values[row]
                counts[groups.group(row)] += 1
            }
            return .numbers(values.indices.map { row in
                let g = groups.group(row)
                guard g >= 0 else { return .nan }
                return name == "sum" ? totals[g] : counts[g] > 0 ? totals[g] / counts[g] : .nan
            })
        case "rank":
            // Average ranks of ties, 1 the smallest (R's rank()); missing stays missing.
            var ranks = [Double](repeating: .nan, count: values.count)
            for rows in groups.members() {
                let present = rows.filter { !values[$0].isNaN }.sorted { values[$0] < values[$1] }
                var start = 0
                while start < present.count {
                    var end = start
                    while end + 1 < present.count, values[present[end + 1]] == values[present[start]] { end += 1 }
                    let average = Double(start + end) / 2 + 1
                    for position in start...end { ranks[present[position]] = average }
                    start = end + 1
                }
            }
            return .numbers(ranks)
        default: // cumsum: a missing value makes the rest of its group missing (R's cumsum)
            var sums = [Double](repeating: .nan, count: values.count)
            for rows in groups.members() {
                var total = 0.0
                // A row without a time has no place in the running sum: missing.
                for row in rows where !(groups.time?[row].isNaN ?? false) {
                    total += values[row]
                    sums[row] = total
                }
            }
            return .numbers(sums)
        }
    }

    static let groupedFunctions: Set<String> = ["l", "f", "d", "mean", "sum", "rank", "cumsum"]
}
