/// Rows partitioned into groups by key columns: each row's group number, groups numbered in order
/// of first appearance. Keys are turned into dense integer codes column by column (a category
/// column already is one), combined into one integer per row, and looked up in one dictionary —
/// no boxed values, no per-row arrays.
struct Grouping {
    /// Group number of each row.
    var groupOfRow: [Int32]
    /// First row of each group.
    var firstRows: [Int]

    var count: Int { firstRows.count }

    init(_ keys: [Column], rowCount: Int) {
        var combined = [UInt64](repeating: 0, count: rowCount)
        var radix: UInt64 = 1
        var overflowed = false
        for column in keys {
            let (codes, cardinality) = Self.codes(column)
            let (nextRadix, overflow) = radix.multipliedReportingOverflow(by: UInt64(cardinality))
            if overflow { overflowed = true; break }
            for row in 0..<rowCount { combined[row] = combined[row] &+ UInt64(codes[row]) &* radix }
            radix = nextRadix
        }
        if overflowed {
            // Too many distinct combinations for one integer: fall back to boxed keys.
            var groupOf: [[Value]: Int32] = [:]
            var groupOfRow = [Int32](repeating: 0, count: rowCount)
            var firstRows: [Int] = []
            for row in 0..<rowCount {
                let key = keys.map { $0[row] }
                if let group = groupOf[key] { groupOfRow[row] = group } else {
                    groupOf[key] = Int32(firstRows.count)
                    groupOfRow[row] = Int32(firstRows.count)
                    firstRows.append(row)
                }
            }
            self.groupOfRow = groupOfRow
            self.firstRows = firstRows
            return
        }
        var groupOfRow = [Int32](repeating: 0, count: rowCount)
        var firstRows: [Int] = []
        if radix <= UInt64(max(4 * rowCount, 1 << 16)) {
            // Few enough combinations for a direct table.
            var table = [Int32](repeating: -1, count: Int(radix))
            for row in 0..<rowCount {
                let slot = Int(combined[row])
                if table[slot] < 0 {
                    table[slot] = Int32(firstRows.count)
                    firstRows.append(row)
                }
                groupOfRow[row] = table[slot]
            }
        } else {
            var groupOf: [UInt64: Int32] = [:]
            for row in 0..<rowCount {
                if let group = groupOf[combined[row]] { groupOfRow[row] = group } else {
                    let group = Int32(firstRows.count)
                    groupOf[combined[row]] = group
                    groupOfRow[row] = group
                    firstRows.append(row)
                }
            }
        }
        self.groupOfRow = groupOfRow
        self.firstRows = firstRows
    }

    /// Dense codes for one key column (missing gets its own code) and how many codes there are.
    static func codes(_ column: Column) -> (codes: [Int32], cardinality: Int) {
        let rows = column.count
        var codes = [Int32](repeating: 0, count: rows)
        func densify<Key: Hashable>(_ key: (Int) -> Key) -> Int {
            var index: [Key: Int32] = [:]
            for row in 0..<rows {
                if column.isMissing(row) { codes[row] = -1; continue }
                let k = key(row)
                if let code = index[k] { codes[row] = code } else {
                    let code = Int32(index.count)
                    index[k] = code
                    codes[row] = code
                }
            }
            return index.count
        }
        var cardinality: Int
        switch column.storage {
        case let .category(categoryCodes, dictionary):
            for row in 0..<rows { codes[row] = column.isMissing(row) ? -1 : categoryCodes[row] }
            cardinality = dictionary.count
        case let .int64(values): cardinality = densify { values[$0] }
        case let .double(values): cardinality = densify { values[$0] == 0 ? 0 : values[$0].bitPattern }
        case let .bool(values): cardinality = densify { values[$0] }
        case let .string(strings):
            var encoder = DictionaryEncoder()
            for row in 0..<rows {
                codes[row] = column.isMissing(row) ? -1 : strings.withUTF8(row) { encoder.code(forUTF8: UnsafeRawBufferPointer($0)) }
            }
            cardinality = encoder.dictionary.count
        }
        // Missing rows take the code after the last one.
        if column.validity != nil {
            for row in 0..<rows where codes[row] < 0 { codes[row] = Int32(cardinality) }
            cardinality += 1
        }
        return (codes, max(cardinality, 1))
    }
}
