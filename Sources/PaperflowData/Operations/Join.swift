/// Which rows a join keeps.
public enum JoinKind: String, Sendable, Hashable, Codable {
    /// Rows with a match on both sides.
    case inner
    /// Every left row; right columns missing where nothing matches.
    case left
}

extension Table {
    /// A hash join on equal `keys` (same names on both sides). Output: the left columns, then the
    /// right's other columns (a name already on the left gets the suffix `_right`). Left rows keep
    /// their order; each one is repeated for every match, in the right's order. Missing keys never
    /// match (as in SQL).
    /// - Complexity: O(left + right + output) expected.
    public func joined(with right: Table, on keys: [String], kind: JoinKind = .inner) throws -> Table {
        let leftKeys = try keys.map { try column($0) }
        let rightKeys = try keys.map { try right.column($0) }
        var index: [[Value]: [Int]] = [:]
        for row in 0..<right.rowCount {
            let key = rightKeys.map { $0[row] }
            if key.contains(.missing) { continue }
            index[key, default: []].append(row)
        }
        var leftRows: [Int] = []
        var rightRows: [Int?] = []
        for row in 0..<rowCount {
            let key = leftKeys.map { $0[row] }
            if let matches = key.contains(.missing) ? nil : index[key] {
                for match in matches {
                    leftRows.append(row)
                    rightRows.append(match)
                }
            } else if kind == .left {
                leftRows.append(row)
                rightRows.append(nil)
            }
        }
        var pairs = zip(names, columns.map { $0.take(leftRows) }).map { ($0, $1) }
        for (name, column) in zip(right.names, right.columns) where !keys.contains(name) {
            pairs.append((names.contains(name) ? "\(name)_right" : name, column.take(rightRows)))
        }
        return try Table(pairs)
    }
}
