/// The type of a column's values.
public enum DataType: String, Sendable, Hashable, Codable, CaseIterable {
    case int64
    case double
    case bool
    case string
    /// Dictionary-encoded strings, for low-cardinality categories (HS codes, cities, years as labels).
    case category
}

/// One cell: a typed value or missing.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case missing
    case int64(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)

    /// Whether two values name the same thing: numbers by value (a year 2005 stored as an
    /// integer equals 2005.0 stored as a decimal), everything else by equality.
    public func matches(_ other: Value) -> Bool {
        switch (self, other) {
        case let (.int64(a), .double(b)), let (.double(b), .int64(a)): return Double(a) == b
        default: return self == other
        }
    }

    public var description: String {
        switch self {
        case .missing: return "NA"
        case let .int64(i): return String(i)
        case let .double(d): return d.description
        case let .bool(b): return b ? "true" : "false"
        case let .string(s): return s
        }
    }
}
