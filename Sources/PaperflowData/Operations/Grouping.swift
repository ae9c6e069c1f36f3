/// Rows partitioned into groups by key columns: each row's group number, groups numbered in order
/// of first appearance.
///
/// Each key column becomes dense integer codes (a category column already is one; an integer
/// column with a small range, such as years, is its value minus the minimum; other columns are
/// hashed), the codes of a row are combined into one integer in mixed radix, and that integer is
/// looked up in a direct table when the combinations are few, else in a dictionary. No boxed
/// values, no per-row arrays.
struct Grouping {
    /// Group number of each row.
    var groupOfRow: [Int32]
    /// First row of each group.
    var firstRows: [Int]

    var count: Int { firstRows.count }

    init(_ keys: [Column], rowCount: Int) {
        var codes: [KeyCodes] = []
        var radix: UInt64 = 1
        for column in keys {
            let key = KeyCodes(column)
            let (next, overflow) = radix.multipliedReportingOverflow(by: UInt64(key.cardinality))
            if overflow {
                (groupOfRow, firstRows) = Self.boxed(keys, rowCount: rowCount)
                return
            }
            codes.append(key)
            radix = next
        }
        var firstRows: [Int] = []
        let accesses = codes.map(\.access), cardinalities = codes.map { UInt64($0.cardinality) }
        @inline(__always) func combined(_ row: Int) -> UInt64 {
            var value: UInt64 = 0, scale: UInt64 = 1
            for key in accesses.indices {
                value &+= UInt64(accesses[key][row]) &* scale
                scale &*= cardinalities[key]
            }
            return value
        }
        defer { withExtendedLifetime(codes) {} }
        let groupOfRow: [Int32]
        if radix <= UInt64(max(4 * rowCount, 1 << 16)), radix <= UInt64(Int32.max) {
            // Few enough combinations for a direct table. The combined keys are computed in
            // parallel slices; numbering groups by first appearance is one pass in row order.
            var table = [Int32](repeating: -1, count: Int(radix))
            groupOfRow = [Int32](unsafeUninitializedCapacity: rowCount) { slots, initialized in
                let slice = 1 << 18
                Parallel.forEach((rowCount + slice - 1) / slice) { part in
                    for row in (part * slice)..<min(rowCount, (part + 1) * slice) { slots[row] = Int32(truncatingIfNeeded: combined(row)) }
                }
                for row in 0..<rowCount {
                    let slot = Int(UInt32(bitPattern: slots[row]))
                    if table[slot] < 0 {
                        table[slot] = Int32(firstRows.count)
                        firstRows.append(row)
                    }
                    slots[row] = table[slot]
                }
                initialized = rowCount
            }
        } else {
            var groupOf: [UInt64: Int32] = [:]
            groupOfRow = (0..<rowCount).map { row in
                let key = combined(row)
                if let group = groupOf[key] { return group }
                let group = Int32(firstRows.count)
                groupOf[key] = group
                firstRows.append(row)
                return group
            }
        }
        self.groupOfRow = groupOfRow
        self.firstRows = firstRows
    }

    /// Too many distinct combinations for one integer: boxed keys in a dictionary.
    private static func boxed(_ keys: [Column], rowCount: Int) -> ([Int32], [Int]) {
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
        return (groupOfRow, firstRows)
    }
}

/// Dense codes `0..<cardinality` for one key column; missing rows take the last code.
struct KeyCodes {
    /// How a row's code is read. Plain pointers, so the per-row loops do no reference counting;
    /// `storage` keeps the memory alive.
    enum Access {
        case codes(UnsafePointer<Int32>?)
        /// An integer column without missing values and with a small range (years, small
        /// ids): a value's offset from the minimum is its code, computed when asked for.
        case offsets(UnsafePointer<Int64>?, low: Int64)

        @inline(__always)
        subscript(row: Int) -> Int32 {
            switch self {
            case let .codes(codes): return codes.unsafelyUnwrapped[row]
            case let .offsets(values, low): return Int32(truncatingIfNeeded: values.unsafelyUnwrapped[row] &- low)
            }
        }
    }

    private let storage: Any
    let access: Access
    let cardinality: Int

    init(_ column: Column) {
        let rows = column.count
        var cardinality: Int
        var codes: [Int32]
        switch column.storage {
        case let .category(categoryCodes, dictionary):
            guard column.validity != nil else {
                (storage, access) = (categoryCodes, .codes(categoryCodes.baseAddress))
                self.cardinality = max(dictionary.count, 1)
                return
            }
            codes = Array(categoryCodes)
            cardinality = dictionary.count
        case let .int64(values):
            if let (low, high) = Self.range(values, column), case let (span, false) = high.subtractingReportingOverflow(low),
               span < Int64(max(4 * rows, 1 << 16)) {
                cardinality = Int(span) + 1
                guard column.validity != nil else {
                    (storage, access) = (values, .offsets(values.baseAddress, low: low))
                    self.cardinality = cardinality
                    return
                }
                codes = values.map { Int32(truncatingIfNeeded: $0 &- low) }
            } else {
                (codes, cardinality) = Self.densify(rows, column) { values[$0] }
            }
        case let .double(values): (codes, cardinality) = Self.densify(rows, column) { values[$0] == 0 ? 0 : values[$0].bitPattern }
        case let .bool(values): (codes, cardinality) = Self.densify(rows, column) { values[$0] }
        case let .string(strings):
            var encoder = DictionaryEncoder()
            codes = (0..<rows).map { row in
                column.isMissing(row) ? 0 : strings.withUTF8(row) { encoder.code(forUTF8: UnsafeRawBufferPointer($0)) }
            }
            cardinality = encoder.count
        }
        if let validity = column.validity {
            // Missing rows take the code after the last one.
            for row in 0..<rows where !validity[row] { codes[row] = Int32(cardinality) }
            cardinality += 1
        }
        let buffer = ColumnBuffer(codes)
        (storage, access) = (buffer, .codes(buffer.baseAddress))
        self.cardinality = max(cardinality, 1)
    }

    /// The smallest and largest present value, nil when none is present.
    private static func range(_ values: ColumnBuffer<Int64>, _ column: Column) -> (Int64, Int64)? {
        var low = Int64.max, high = Int64.min
        for row in values.indices where !column.isMissing(row) {
            low = Swift.min(low, values[row])
            high = Swift.max(high, values[row])
        }
        return low <= high ? (low, high) : nil
    }

    private static func densify<Key: Hashable>(_ rows: Int, _ column: Column, _ key: (Int) -> Key) -> ([Int32], Int) {
        var index: [Key: Int32] = [:]
        let codes = (0..<rows).map { row -> Int32 in
            if column.isMissing(row) { return 0 }
            let k = key(row)
            if let code = index[k] { return code }
            let code = Int32(index.count)
            index[k] = code
            return code
        }
        return (codes, index.count)
    }
}
