/// A summary of a column within each group.
public enum AggregateFunction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Sum of present values (0 for none); Int64 stays Int64.
    case sum
    /// Mean of present values; missing for none.
    case mean
    /// Number of present values.
    case count
    /// Smallest present value; missing for none.
    case min
    /// Largest present value; missing for none.
    case max
    /// First present value; missing for none.
    case first
    /// Number of distinct present values.
    case distinctCount = "distinct_count"
}

/// One output column of a group-by: `function` of `column`, named `name`.
public struct Aggregation: Sendable, Hashable {
    public var column: String
    public var function: AggregateFunction
    public var name: String

    /// Creates an aggregation; the name defaults to `column_function`.
    public init(_ column: String, _ function: AggregateFunction, as name: String? = nil) {
        self.column = column
        self.function = function
        self.name = name ?? "\(column)_\(function.rawValue)"
    }
}

extension Table {
    /// One row per distinct combination of `keys` (in order of first appearance), with the key
    /// columns and one column per aggregation. Missing key values form their own group.
    public func grouped(by keys: [String], _ aggregations: [Aggregation]) throws -> Table {
        let keyColumns = try keys.map { try column($0) }
        let grouping = Grouping(keyColumns, rowCount: rowCount)
        var pairs = zip(keys, keyColumns.map { $0.take(grouping.firstRows) }).map { ($0, $1) }
        for aggregation in aggregations {
            let column = try column(aggregation.column)
            let numeric = column.type == .int64 || column.type == .double
            if [.sum, .mean].contains(aggregation.function) && !numeric { throw TableError.notNumeric(aggregation.column) }
            pairs.append((aggregation.name, try Self.aggregate(column, aggregation.function, grouping)))
        }
        return try Table(pairs)
    }

    /// The rows that share the first key (in row order) that `keys` repeat, or nil when every
    /// combination occurs once; missing values count as a key, as in `grouped(by:)`.
    public func rowsOfFirstRepeatedKey(_ keys: [String]) throws -> [Int]? {
        let grouping = Grouping(try keys.map { try column($0) }, rowCount: rowCount)
        guard grouping.count < rowCount,
              let repeated = (0..<rowCount).first(where: { grouping.firstRows[Int(grouping.groupOfRow[$0])] != $0 }) else { return nil }
        let group = grouping.groupOfRow[repeated]
        return (0..<rowCount).filter { grouping.groupOfRow[$0] == group }
    }

    /// One aggregate per group: typed loops for sum, count and mean; values for the rest.
    static func aggregate(_ column: Column, _ function: AggregateFunction, _ grouping: Grouping) throws -> Column {
        let groups = grouping.count
        let groupOfRow = grouping.groupOfRow
        var counts = [Int64](repeating: 0, count: groups)
        switch (function, column.storage) {
        case let (.sum, .int64(values)):
            var sums = [Int64](repeating: 0, count: groups)
            for row in 0..<values.count where !column.isMissing(row) { sums[Int(groupOfRow[row])] &+= values[row] }
            return Column(storage: .int64(sums))
        case let (.sum, .double(values)) where column.validity == nil:
            var sums = [Double](repeating: 0, count: groups)
            for row in 0..<values.count { sums[Int(groupOfRow[row])] += values[row] }
            return Column(storage: .double(sums))
        case let (.sum, .double(values)), let (.mean, .double(values)):
            var sums = [Double](repeating: 0, count: groups)
            if column.validity == nil {
                for row in 0..<values.count {
                    sums[Int(groupOfRow[row])] += values[row]
                    counts[Int(groupOfRow[row])] += 1
                }
            } else {
                for row in 0..<values.count where !column.isMissing(row) {
                    sums[Int(groupOfRow[row])] += values[row]
                    counts[Int(groupOfRow[row])] += 1
                }
            }
            return function == .sum ? Column(storage: .double(sums)) : meanColumn(sums, counts)
        case let (.mean, .int64(values)):
            var sums = [Double](repeating: 0, count: groups)
            var exact = [Int64](repeating: 0, count: groups)
            for row in 0..<values.count where !column.isMissing(row) {
                exact[Int(groupOfRow[row])] &+= values[row]
                counts[Int(groupOfRow[row])] += 1
            }
            for group in 0..<groups { sums[group] = Double(exact[group]) }
            return meanColumn(sums, counts)
        case (.count, _):
            for row in 0..<column.count where !column.isMissing(row) { counts[Int(groupOfRow[row])] += 1 }
            return Column(storage: .int64(counts))
        default:
            var members = [[Int]](repeating: [], count: groups)
            for row in 0..<column.count { members[Int(groupOfRow[row])].append(row) }
            var results: [Value] = []
            results.reserveCapacity(groups)
            for rows in members {
                let present = rows.map { column[$0] }.filter { $0 != .missing }
                switch function {
                case .min: results.append(present.min { ValueOrder.compare($0, $1) < 0 } ?? .missing)
                case .max: results.append(present.max { ValueOrder.compare($0, $1) < 0 } ?? .missing)
                case .first: results.append(present.first ?? .missing)
                case .distinctCount: results.append(.int64(Int64(Set(present).count)))
                case .sum, .mean, .count: throw TableError.notNumeric("\(function)")
                }
            }
            let type: DataType = function == .distinctCount ? .int64 : column.type
            return try Column(values: results, type: type)
        }
    }

    /// Means, missing for groups with no present value.
    static func meanColumn(_ sums: [Double], _ counts: [Int64]) -> Column {
        var validity = Bitmap(count: 0, value: true)
        var means: [Double] = []
        means.reserveCapacity(sums.count)
        for (sum, count) in zip(sums, counts) {
            means.append(count > 0 ? sum / Double(count) : 0)
            validity.append(count > 0)
        }
        return Column(storage: .double(means), validity: validity)
    }
}
