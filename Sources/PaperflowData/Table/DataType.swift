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
