/// How values compare for sorting and min/max: numbers by value (an Int64 and a Double alike),
/// strings by Unicode scalars, false before true; a missing value after every present one.
enum ValueOrder {
    static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.missing, .missing): return 0
        case (.missing, _): return 1
        case (_, .missing): return -1
        case let (.int64(x), .int64(y)): return x < y ? -1 : (x > y ? 1 : 0)
        case let (.string(x), .string(y)): return x < y ? -1 : (x > y ? 1 : 0)
        case let (.bool(x), .bool(y)): return x == y ? 0 : (x ? 1 : -1)
        default:
            let x = number(a), y = number(b)
            if let x, let y { return x < y ? -1 : (x > y ? 1 : 0) }
            return a.description < b.description ? -1 : (a.description > b.description ? 1 : 0)
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case let .int64(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }
}

/// A sort key: a column and a direction. Missing values sort last in either direction.
public struct SortKey: Sendable, Hashable {
    public var column: String
    public var ascending: Bool

    /// Creates a key.
    public init(_ column: String, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }
}

extension Table {
    /// Rows sorted by `keys`, stably (equal rows keep their order).
    /// - Complexity: O(n log n) comparisons.
    public func sorted(by keys: [SortKey]) throws -> Table {
        let columns = try keys.map { try column($0.column) }
        let order = (0..<rowCount).sorted { a, b in
            for (key, column) in zip(keys, columns) {
                let (x, y) = (column[a], column[b])
                let comparison = ValueOrder.compare(x, y)
                if comparison == 0 { continue }
                if x == .missing || y == .missing { return comparison < 0 }
                return key.ascending ? comparison < 0 : comparison > 0
            }
            return a < b
        }
        return take(order)
    }

    /// Quantiles of a numeric column (R's type 7, numpy's "linear"), missing values left out;
    /// `nil` for an empty or all-missing column.
    public func quantiles(_ name: String, _ probabilities: [Double]) throws -> [Double?] {
        let column = try column(name)
        guard column.type == .int64 || column.type == .double else { throw TableError.notNumeric(name) }
        let values = (0..<rowCount).compactMap { ValueOrder.number(column[$0]) }.sorted()
        return probabilities.map { values.isEmpty ? nil : Quantiles.type7(sorted: values, $0) }
    }
}

/// Sample quantiles.
public enum Quantiles {
    /// R's type 7 (numpy's "linear", the default of both): the value at rank (n − 1)·p of the
    /// sorted values, interpolated linearly. `sorted` must be ascending and not empty.
    public static func type7(sorted: [Double], _ probability: Double) -> Double {
        let h = Double(sorted.count - 1) * probability
        let low = Int(h.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
    }
}
