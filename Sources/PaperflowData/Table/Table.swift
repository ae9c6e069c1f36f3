/// A table: named columns of equal length.
public struct Table: Sendable, Hashable {
    /// Column names, unique, in order.
    public private(set) var names: [String]
    /// Columns, in the order of `names`.
    public private(set) var columns: [Column]

    /// Creates a table.
    /// - Throws: `TableError` when names repeat or lengths differ.
    public init(_ pairs: [(String, Column)]) throws {
        var seen = Set<String>()
        for (name, _) in pairs where !seen.insert(name).inserted { throw TableError.duplicateColumn(name) }
        if let first = pairs.first {
            for (name, column) in pairs where column.count != first.1.count {
                throw TableError.lengthMismatch(name, column.count, first.0, first.1.count)
            }
        }
        names = pairs.map(\.0)
        columns = pairs.map(\.1)
    }

    /// Number of rows.
    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The column named `name`.
    public func column(_ name: String) throws -> Column {
        guard let index = names.firstIndex(of: name) else { throw TableError.unknownColumn(name, names) }
        return columns[index]
    }

    /// The column named `name`, if any.
    public subscript(name: String) -> Column? {
        names.firstIndex(of: name).map { columns[$0] }
    }
}

/// A mistake in building or transforming a table, quoting the offending names.
public enum TableError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateColumn(String)
    case lengthMismatch(String, Int, String, Int)
    case unknownColumn(String, [String])
    case valueType(String, String)
    case schemaMismatch([String], [String])
    case notNumeric(String)
    case duplicateCell(String, String)

    public var description: String {
        switch self {
        case let .duplicateColumn(name): return "column '\(name)' appears twice"
        case let .lengthMismatch(name, count, other, otherCount):
            return "column '\(name)' has \(count) rows but '\(other)' has \(otherCount)"
        case let .unknownColumn(name, names):
            return "no column '\(name)'; the columns are \(names.joined(separator: ", "))"
        case let .valueType(value, type): return "value '\(value)' is not of type \(type)"
        case let .schemaMismatch(a, b):
            return "tables differ in columns or types: \(a.joined(separator: ", ")) vs \(b.joined(separator: ", "))"
        case let .notNumeric(name): return "column '\(name)' is not numeric"
        case let .duplicateCell(key, name): return "two rows fill the cell (\(key)) × '\(name)'; aggregate them first"
        }
    }
}
