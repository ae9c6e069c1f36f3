extension Table {
    /// The named columns, in the given order.
    /// - Throws: `TableError.unknownColumn`.
    public func selecting(_ selected: [String]) throws -> Table {
        try Table(selected.map { ($0, try column($0)) })
    }

    /// Columns renamed by `mapping` (old → new); the others keep their names.
    /// - Throws: `TableError.unknownColumn` or `.duplicateColumn`.
    public func renaming(_ mapping: [String: String]) throws -> Table {
        for old in mapping.keys where self[old] == nil { throw TableError.unknownColumn(old, names) }
        return try Table(zip(names, columns).map { (mapping[$0] ?? $0, $1) })
    }

    /// The rows for which `predicate` holds; it sees each row's values in column order.
    public func filtering(_ predicate: ([Value]) throws -> Bool) rethrows -> Table {
        var kept: [Int] = []
        for row in 0..<rowCount where try predicate(self.row(row)) { kept.append(row) }
        return take(kept)
    }

    /// The rows whose `column` value is one of `members` (membership filter).
    public func filtering(_ name: String, in members: Set<Value>) throws -> Table {
        let column = try column(name)
        return take((0..<rowCount).filter { members.contains(column[$0]) })
    }

    /// The table with `column` added (or replaced) under `name`.
    /// - Throws: `TableError.lengthMismatch` when its length differs.
    public func adding(_ name: String, _ column: Column) throws -> Table {
        if let index = names.firstIndex(of: name) {
            var pairs = Array(zip(names, columns))
            pairs[index] = (name, column)
            return try Table(pairs)
        }
        return try Table(Array(zip(names, columns)) + [(name, column)])
    }

    /// The table with a column of `type` computed from each row.
    public func deriving(_ name: String, type: DataType, _ compute: ([Value]) throws -> Value) throws -> Table {
        try adding(name, Column(values: (0..<rowCount).map { try compute(row($0)) }, type: type))
    }

    /// Tables with the same column names and types, one after the other.
    /// - Throws: `TableError.schemaMismatch` when names or types differ.
    public static func concatenating(_ tables: [Table]) throws -> Table {
        guard let first = tables.first else { return try Table([]) }
        for table in tables.dropFirst() where table.names != first.names || table.columns.map(\.type) != first.columns.map(\.type) {
            throw TableError.schemaMismatch(first.names, table.names)
        }
        var pairs: [(String, Column)] = []
        for (index, name) in first.names.enumerated() {
            let values = tables.flatMap { $0.columns[index].values }
            pairs.append((name, try Column(values: values, type: first.columns[index].type)))
        }
        return try Table(pairs)
    }

    /// The first row of each distinct combination of `keys` (all columns when empty), in order of
    /// first appearance.
    public func unique(_ keys: [String] = []) throws -> Table {
        let keyColumns = try (keys.isEmpty ? names : keys).map { try column($0) }
        var seen = Set<[Value]>()
        var kept: [Int] = []
        for row in 0..<rowCount where seen.insert(keyColumns.map { $0[row] }).inserted { kept.append(row) }
        return take(kept)
    }
}

extension TableError {
    static func typeMismatch(_ value: String, _ type: DataType) -> TableError {
        .valueType(value, type.rawValue)
    }
}
