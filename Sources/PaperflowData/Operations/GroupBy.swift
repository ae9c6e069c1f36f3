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
        var groupOf: [[Value]: Int] = [:]
        var firstRows: [Int] = []
        var members: [[Int]] = []
        for row in 0..<rowCount {
            let key = keyColumns.map { $0[row] }
            if let group = groupOf[key] {
                members[group].append(row)
            } else {
                groupOf[key] = members.count
                firstRows.append(row)
                members.append([row])
            }
        }
        var pairs = zip(keys, keyColumns.map { $0.take(firstRows) }).map { ($0, $1) }
        for aggregation in aggregations {
            let column = try column(aggregation.column)
            let numeric = column.type == .int64 || column.type == .double
            if [.sum, .mean].contains(aggregation.function) && !numeric { throw TableError.notNumeric(aggregation.column) }
            var results: [Value] = []
            for rows in members {
                let present = rows.map { column[$0] }.filter { $0 != .missing }
                switch aggregation.function {
                case .sum:
                    if column.type == .int64 {
                        results.append(.int64(present.reduce(0) { if case let .int64(i) = $1 { return $0 &+ i } else { return $0 } }))
                    } else {
                        results.append(.double(present.reduce(0) { $0 + (ValueOrder.number($1) ?? 0) }))
                    }
                case .mean:
                    results.append(present.isEmpty ? .missing
                                   : .double(present.reduce(0) { $0 + (ValueOrder.number($1) ?? 0) } / Double(present.count)))
                case .count: results.append(.int64(Int64(present.count)))
                case .min: results.append(present.min { ValueOrder.compare($0, $1) < 0 } ?? .missing)
                case .max: results.append(present.max { ValueOrder.compare($0, $1) < 0 } ?? .missing)
                case .first: results.append(present.first ?? .missing)
                case .distinctCount: results.append(.int64(Int64(Set(present).count)))
                }
            }
            let type: DataType
            switch aggregation.function {
            case .count, .distinctCount: type = .int64
            case .mean: type = .double
            case .sum: type = column.type
            case .min, .max, .first: type = column.type
            }
            pairs.append((aggregation.name, try Column(values: results, type: type)))
        }
        return try Table(pairs)
    }
}
