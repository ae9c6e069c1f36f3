extension Table {
    /// Long → wide: one row per distinct `index` combination, one column per distinct value of
    /// `namesFrom` (in order of first appearance) holding `valuesFrom`; missing where absent.
    /// - Throws: `TableError.duplicateCell` when two rows fill the same cell.
    public func pivotWider(index: [String], namesFrom: String, valuesFrom: String) throws -> Table {
        let indexColumns = try index.map { try column($0) }
        let nameColumn = try column(namesFrom)
        let valueColumn = try column(valuesFrom)
        var rowOf: [[Value]: Int] = [:]
        var firstRows: [Int] = []
        var newNames: [String] = []
        var cells: [String: [Int: Value]] = [:]
        for row in 0..<rowCount {
            let key = indexColumns.map { $0[row] }
            let target: Int
            if let existing = rowOf[key] { target = existing } else {
                target = firstRows.count
                rowOf[key] = target
                firstRows.append(row)
            }
            let name = nameColumn[row].description
            if cells[name] == nil { newNames.append(name); cells[name] = [:] }
            if cells[name]![target] != nil {
                throw TableError.duplicateCell(key.map(\.description).joined(separator: ", "), name)
            }
            cells[name]![target] = valueColumn[row]
        }
        var pairs = zip(index, indexColumns.map { $0.take(firstRows) }).map { ($0, $1) }
        let type = valueColumn.type == .category ? DataType.string : valueColumn.type
        for name in newNames {
            let values = (0..<firstRows.count).map { cells[name]![$0] ?? .missing }
            pairs.append((name, try Column(values: values, type: type)))
        }
        return try Table(pairs)
    }

    /// Wide → long: each of `columns` becomes rows of (`namesTo`: its name, `valuesTo`: its value),
    /// the other columns repeated; rows ordered by original row, then by `columns`' order.
    public func pivotLonger(_ pivoted: [String], namesTo: String = "name", valuesTo: String = "value") throws -> Table {
        let sources = try pivoted.map { try column($0) }
        guard let type = sources.first?.type else { return self }
        for (name, source) in zip(pivoted, sources) where source.type != type {
            throw TableError.valueType(name, type.rawValue)
        }
        let kept = names.filter { !pivoted.contains($0) }
        var rows: [Int] = []
        var labels: [String?] = []
        var values: [Value] = []
        for row in 0..<rowCount {
            for (name, source) in zip(pivoted, sources) {
                rows.append(row)
                labels.append(name)
                values.append(source[row])
            }
        }
        var pairs = try kept.map { ($0, try column($0).take(rows)) }
        pairs.append((namesTo, Column(string: labels)))
        pairs.append((valuesTo, try Column(values: values, type: type == .category ? .string : type)))
        return try Table(pairs)
    }
}
